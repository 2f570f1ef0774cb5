// Six-digit verification codes from the CSPRNG, uniformly distributed (no modulo bias).

const CODE_SPACE = 1_000_000;
// Largest multiple of CODE_SPACE below 2^32: draws at or above it are rejected, so every code is
// equally likely (a plain `% 1_000_000` would favour low codes).
const REJECTION_LIMIT = Math.floor(0x1_0000_0000 / CODE_SPACE) * CODE_SPACE;

export function generateVerificationCode(
	random: (out: Uint32Array) => void = (out) => crypto.getRandomValues(out),
): string {
	const draw = new Uint32Array(1);
	for (;;) {
		random(draw);
		const value = draw[0] as number;
		if (value < REJECTION_LIMIT) return String(value % CODE_SPACE).padStart(6, "0");
	}
}
