// The interactive prompt's help text.
export const HELP_LINES = [
	"Commands:",
	"  chat <phone>             open a secure session (verifies their keys) and make it the current conversation",
	"  <text>                   send text to the current conversation",
	"  send <phone> <message>   send one message to anyone",
	"  contacts                 your conversations (unread, verified, key changes)",
	"  history <phone>          your messages with a contact, by day, with key changes and failures",
	"  name <phone> <name>      show a contact by your own name for them (local only); --clear removes it",
	"  resend [id]              send the last message that was not sent again (or the one with that id)",
	"  verify <phone>           show the safety number to compare with them",
	"  verify <phone> accept    accept a contact's changed key (after comparing); also: mark-verified",
	"  verify <phone> reject    reject it: keep the old key; messages signed by the new one are dropped",
	"  register                 register this install again after the relay ended its session (keeps your keys)",
	"  help                     this list",
	"  quit                     disconnect and leave (Ctrl-D too)",
	"Phone numbers start with + and the country code, e.g. +1 555 555 0100.",
	"A line starting with a space is always sent as text.",
];
