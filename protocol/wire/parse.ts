// The one gate for untrusted bytes: JSON text in, a typed value or a typed failure out. Never throws.
import * as v from "valibot";

/** `path` names the offending field (e.g. "phone", "seqs.0") so callers can pick a precise error code. */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; message: string; path: string };

// biome-ignore lint/suspicious/noExplicitAny: valibot's schema type parameters are generic by design.
type AnySchema = v.GenericSchema<unknown, any>;

export function parseValue<S extends AnySchema>(schema: S, input: unknown): ParseResult<v.InferOutput<S>> {
	const result = v.safeParse(schema, input);
	if (result.success) return { ok: true, value: result.output };
	const issue = result.issues[0];
	return { ok: false, message: describeIssue(issue), path: issuePath(issue) };
}

/** Parses JSON text of at most `maxChars` characters against `schema`. */
export function parseJson<S extends AnySchema>(
	schema: S,
	text: string,
	maxChars: number,
): ParseResult<v.InferOutput<S>> {
	if (text.length > maxChars) return { ok: false, message: `larger than ${maxChars} characters`, path: "" };
	let data: unknown;
	try {
		data = JSON.parse(text);
	} catch {
		return { ok: false, message: "not valid JSON", path: "" };
	}
	return parseValue(schema, data);
}

function issuePath(issue: v.BaseIssue<unknown> | undefined): string {
	return issue?.path?.map((item) => String(item.key)).join(".") ?? "";
}

function describeIssue(issue: v.BaseIssue<unknown> | undefined): string {
	if (!issue) return "invalid input";
	const path = issuePath(issue);
	return path ? `${path}: ${issue.message}` : issue.message;
}
