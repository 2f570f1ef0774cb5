// Placeholder entry until the web client lands (issue 5).
const app = document.getElementById("app");
if (app) app.textContent = "FriendLy relay is running. The web client is coming soon.";
