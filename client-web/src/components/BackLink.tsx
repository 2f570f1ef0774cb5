// The "back" arrow of a pane header (phone width only; desktop shows the list beside the pane).
export function BackLink({ href, label }: { href: string; label: string }) {
	return (
		<a class="back" href={href}>
			<span aria-hidden="true">‹</span>
			<span class="visually-hidden">{label}</span>
		</a>
	);
}
