// Fictional but *possible* E.164 numbers (NANP 555 range), unique within a test file.
let counter = 0;

export function newPhone(): string {
	counter += 1;
	return `+1555555${String(counter).padStart(4, "0")}`;
}

export function pathPhone(phone: string): string {
	return encodeURIComponent(phone);
}
