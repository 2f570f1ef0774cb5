// The one gate for untrusted bytes: JSON text in, a typed value or a typed failure out. Never throws.
import * as v from "valibot";

/** `path` names the offending field (e.g. "phone", "seqs.0") so callers can pick a precise error code. */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; message: string; path: string };

// biome-ignore lint/suspicious/noExplicitAny: valibot's schema type parameters are generic by design.
type AnySchema = v.GenericSchema<unknown, any>;

export function parseValue<S extends AnySchema>(schema: S, input: unknown): ParseResult<v.InferOutput<S>> {
	const result = v.safeParse(optionFor(schema, input) ?? schema, input);
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

// A `variant` schema (a frame union discriminated by `type`) is parsed with the option its
// discriminator names, looked up in a table: the same language and output as the variant itself,
// without valibot's search over the options, which was a measurable share of the relay's CPU per
// frame (docs/PERFORMANCE.md). Anything else, including an unknown discriminator, goes through the
// schema as written, so error messages are unchanged.
const optionTables = new WeakMap<object, OptionTable | null>();

function optionFor(schema: AnySchema, input: unknown): AnySchema | null {
	if (schema.type !== "variant" || typeof input !== "object" || input === null) return null;
	let table = optionTables.get(schema);
	if (table === undefined) {
		table = discriminatorTable(schema);
		optionTables.set(schema, table);
	}
	return table?.get(Reflect.get(input, table.key)) ?? null;
}

type OptionTable = Map<unknown, AnySchema> & { key: string };

function discriminatorTable(schema: AnySchema): OptionTable | null {
	const key: unknown = Reflect.get(schema, "key");
	const options: unknown = Reflect.get(schema, "options");
	if (typeof key !== "string" || !Array.isArray(options)) return null;
	const table: OptionTable = Object.assign(new Map<unknown, AnySchema>(), { key });
	for (const option of options) {
		const discriminator: unknown = Reflect.get(Reflect.get(option, "entries") ?? {}, key);
		if (typeof discriminator !== "object" || discriminator === null) return null;
		if (Reflect.get(discriminator, "type") !== "literal") return null;
		const literal: unknown = Reflect.get(discriminator, "literal");
		if (table.has(literal)) return null;
		table.set(literal, option);
	}
	return table;
}
