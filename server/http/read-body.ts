/**
 * The edge for JSON request bodies: content type, size, syntax, then the zod schema. A bad
 * body is a 400 that names the field and what was wrong with it.
 */
import type { Context } from 'hono';
import { z } from 'zod';
import { MAX_JSON_BODY_BYTES } from '../../src/lib/shared/limits';
import { ApiError } from './api-error';

export async function readBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
	const type = c.req.header('content-type') ?? '';
	if (!/^application\/json\s*(;|$)/i.test(type)) {
		throw new ApiError(415, 'unsupported_media_type', 'send the body as JSON with Content-Type: application/json');
	}
	const declared = Number(c.req.header('content-length') ?? '0');
	if (declared > MAX_JSON_BODY_BYTES) throw tooLarge();
	const text = await c.req.text();
	if (Buffer.byteLength(text) > MAX_JSON_BODY_BYTES) throw tooLarge();
	let json: unknown;
	try {
		json = JSON.parse(text);
	} catch {
		throw new ApiError(400, 'invalid_json', 'the body is not valid JSON');
	}
	const result = schema.safeParse(json);
	if (!result.success) throw invalid(result.error);
	return result.data;
}

/**
 * Text the database will store as given: no NUL characters and no unpaired surrogates (Postgres
 * refuses both). Used for every free-text field of a request body.
 */
export const storable = [
	(value: string) => !/\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(value),
	{ error: 'must not contain NUL characters or broken Unicode' }
] as const;

function tooLarge(): ApiError {
	return new ApiError(413, 'body_too_large', `the body is larger than ${MAX_JSON_BODY_BYTES} bytes`);
}

export function invalid(error: z.ZodError): ApiError {
	const issue = error.issues[0];
	const field = issue.path.length > 0 ? issue.path.join('.') : 'body';
	return new ApiError(400, 'invalid_field', `${field}: ${issue.message}`);
}

/** Reads a query parameter as a whole number within bounds, or the default when absent. */
export function queryInt(c: Context, name: string, fallback: number, min: number, max: number): number {
	const raw = c.req.query(name);
	if (raw === undefined || raw === '') return fallback;
	// Digits only: Number() would also take "0x2", "1e1" and " 2".
	const n = /^\d{1,16}$/.test(raw) ? Number(raw) : NaN;
	if (!Number.isInteger(n) || n < min || n > max) {
		throw new ApiError(400, 'invalid_field', `${name}: must be a whole number from ${min} to ${max}`);
	}
	return n;
}
