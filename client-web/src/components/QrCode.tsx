// A QR code drawn as inline SVG, encoded locally with `uqr` (no network, no canvas, no inline style:
// only SVG presentation attributes, which the CSP allows).
import { encode } from "uqr";

export function QrCode({ payload, label }: { payload: string; label: string }) {
	const { data, size } = encode(payload, { ecc: "M", border: 2 });
	let path = "";
	data.forEach((row, y) => {
		row.forEach((dark, x) => {
			if (dark) path += `M${x} ${y}h1v1h-1z`;
		});
	});
	return (
		<svg
			class="qr"
			viewBox={`0 0 ${size} ${size}`}
			role="img"
			aria-label={label}
			data-payload={payload}
			shape-rendering="crispEdges"
		>
			<rect width={size} height={size} fill="#fff" />
			<path d={path} fill="#111" />
		</svg>
	);
}
