#!/usr/bin/env node
// Vigiles log chain: canonical row bytes, the hash chain, signed checkpoints, and verification.
//
// This one file is both the server's verifier (`vigiles verify`, GET /api/incidents/:id/verify)
// and the `verify.mjs` placed in every export bundle, so an auditor runs exactly the code the
// server runs. It must stay plain JavaScript with no dependencies beyond Node's own modules.
// Run in an export folder: `node verify.mjs [--key trusted-public-key.pem]`.
//
// Format (algorithm "vigiles-log-sha256-v1"):
//   canonical(row) = UTF-8 of JSON with object keys sorted, no whitespace, of
//                    {v: 1, incident, seq, at, actor, type, summary, changes, update}
//                    where `at` is ISO 8601 UTC with milliseconds, `actor` a user id or null,
//                    `update` the Yjs update as base64 or null.
//   hash(row)      = SHA-256("vigiles/log/v1\n" || hash(previous row) || canonical(row)),
//                    with 32 zero bytes before seq 1.
//   checkpoint     = Ed25519 signature over "vigiles/checkpoint/v1\n" ||
//                    canonical JSON {v: 1, incident, seq, head, at} (head = hex hash at seq),
//                    recorded in the log itself as the next row (type "checkpoint.signed").

import { createHash, createPublicKey, verify as verifySignature } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ALGORITHM = 'vigiles-log-sha256-v1';
export const GENESIS = new Uint8Array(32);
const ROW_DOMAIN = new TextEncoder().encode('vigiles/log/v1\n');
const CHECKPOINT_DOMAIN = 'vigiles/checkpoint/v1\n';

/**
 * JSON with object keys sorted at every level and no whitespace: the same value always gives
 * the same bytes. Numbers and strings are written as JSON.stringify writes them.
 * @param {unknown} value
 * @returns {string}
 */
export function canonicalJson(value) {
	if (value === null || typeof value !== 'object') {
		if (value === undefined) return 'null';
		if (typeof value === 'number' && !Number.isFinite(value)) throw new Error('non-finite number in canonical JSON');
		return JSON.stringify(value);
	}
	if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
	const keys = Object.keys(value).filter((k) => /** @type {Record<string, unknown>} */ (value)[k] !== undefined).sort();
	return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(/** @type {Record<string, unknown>} */ (value)[k])}`).join(',')}}`;
}

/**
 * @typedef {object} RowContent
 * @property {string} incident
 * @property {number} seq
 * @property {string} at        ISO 8601 UTC with milliseconds
 * @property {string | null} actor
 * @property {string} type
 * @property {string} summary
 * @property {unknown[]} changes
 * @property {string | null} update  base64
 */

/**
 * @param {RowContent} row
 * @returns {Uint8Array}
 */
export function canonicalRow(row) {
	return new TextEncoder().encode(
		canonicalJson({
			v: 1,
			incident: row.incident,
			seq: row.seq,
			at: row.at,
			actor: row.actor,
			type: row.type,
			summary: row.summary,
			changes: row.changes,
			update: row.update
		})
	);
}

/**
 * @param {Uint8Array} previousHash
 * @param {Uint8Array} canonical
 * @returns {Uint8Array}
 */
export function rowHash(previousHash, canonical) {
	return new Uint8Array(createHash('sha256').update(ROW_DOMAIN).update(previousHash).update(canonical).digest());
}

/**
 * @typedef {object} Checkpoint
 * @property {string} incident
 * @property {number} seq      the last row the checkpoint covers
 * @property {string} head     hex hash of that row
 * @property {string} at       ISO 8601 UTC
 * @property {string} keyId
 * @property {string} signature base64 Ed25519 signature
 */

/**
 * The bytes a checkpoint signature covers.
 * @param {{incident: string, seq: number, head: string, at: string}} checkpoint
 * @returns {Buffer}
 */
export function checkpointMessage(checkpoint) {
	return Buffer.from(
		CHECKPOINT_DOMAIN + canonicalJson({ v: 1, incident: checkpoint.incident, seq: checkpoint.seq, head: checkpoint.head, at: checkpoint.at }),
		'utf8'
	);
}

/**
 * A key id: the first 16 hex digits of the SHA-256 of the key's SPKI DER encoding.
 * @param {import('node:crypto').KeyObject} publicKey
 */
export function keyIdOf(publicKey) {
	return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

export const toHex = (/** @type {Uint8Array} */ bytes) => Buffer.from(bytes).toString('hex');
export const toBase64 = (/** @type {Uint8Array} */ bytes) => Buffer.from(bytes).toString('base64');
const fromBase64 = (/** @type {string} */ text) => new Uint8Array(Buffer.from(text, 'base64'));

/**
 * @typedef {object} StoredRow
 * @property {number} seq
 * @property {Uint8Array} canonical   the bytes stored as hashed
 * @property {Uint8Array} hash        the stored hash
 * @property {string} algorithm
 * @property {Partial<Omit<RowContent, 'incident' | 'seq'>>} [columns]  the row's readable
 *           columns, checked against the canonical bytes when present
 */

/**
 * @typedef {object} Problem
 * @property {number | null} seq
 * @property {string} code
 * @property {string} message
 */

/**
 * @typedef {object} VerifyReport
 * @property {string} incident
 * @property {boolean} ok
 * @property {string} algorithm
 * @property {number} rows
 * @property {number} headSeq
 * @property {string | null} headHash
 * @property {{count: number, verified: number, lastSeq: number | null, lastAt: string | null}} checkpoints
 * @property {{keyId: string | null, source: string}} key
 * @property {{fromSeq: number, toSeq: number} | null} unprotectedTail  rows after the last checkpoint:
 *           an attacker with database access could remove or append these without detection
 * @property {number | null} firstBadSeq
 * @property {Problem[]} problems
 */

/**
 * Checks an incident's whole log: gapless seq from 1, canonical bytes that match the readable
 * columns, every hash and link, every checkpoint signature, every checkpoint against the chain,
 * and nothing missing below the last checkpoint.
 * @param {object} input
 * @param {string} input.incident
 * @param {StoredRow[]} input.rows  in any order
 * @param {Checkpoint[]} input.checkpoints
 * @param {import('node:crypto').KeyObject | null} input.publicKey  the key checkpoints must verify with
 * @param {string} input.keySource  where that key came from (for the report)
 * @param {Problem[]} [input.extraProblems]  problems the caller found (e.g. a key mismatch)
 * @returns {VerifyReport}
 */
export function verifyLog({ incident, rows, checkpoints, publicKey, keySource, extraProblems = [] }) {
	/** @type {Problem[]} */
	const problems = [...extraProblems];
	const add = (/** @type {number | null} */ seq, /** @type {string} */ code, /** @type {string} */ message) =>
		problems.push({ seq, code, message });

	const sorted = [...rows].sort((a, b) => a.seq - b.seq);
	/** @type {Map<number, Uint8Array>} the true hash at each seq, recomputed */
	const truth = new Map();
	/** @type {Map<number, any>} checkpoints recorded inside the log, by the seq they cover */
	const logged = new Map();
	/** @type {Uint8Array} */
	let previous = GENESIS;
	let expected = 1;
	for (const row of sorted) {
		if (row.seq !== expected) {
			if (row.seq > expected) add(expected, 'seq_gap', `rows ${expected}..${row.seq - 1} are missing`);
			else add(row.seq, 'seq_duplicate', `seq ${row.seq} appears more than once`);
		}
		expected = row.seq + 1;
		if (row.algorithm !== ALGORITHM) add(row.seq, 'unknown_algorithm', `row ${row.seq} uses "${row.algorithm}", not ${ALGORITHM}`);
		/** @type {any} */
		let content = null;
		try {
			content = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(row.canonical));
			if (canonicalJson(content) !== new TextDecoder().decode(row.canonical)) throw new Error('not in canonical form');
		} catch (error) {
			add(row.seq, 'canonical_invalid', `row ${row.seq}: the stored bytes are not canonical JSON (${/** @type {Error} */ (error).message})`);
			content = null;
		}
		if (content) {
			if (content.incident !== incident) add(row.seq, 'incident_mismatch', `row ${row.seq} was hashed for incident ${content.incident}`);
			if (content.seq !== row.seq) add(row.seq, 'seq_mismatch', `row stored at seq ${row.seq} was hashed as seq ${content.seq}`);
			for (const [column, value] of Object.entries(row.columns ?? {})) {
				if (canonicalJson(value) !== canonicalJson(content[column])) {
					add(row.seq, 'column_mismatch', `row ${row.seq}: column "${column}" differs from what was hashed`);
				}
			}
			if (content.type === 'checkpoint.signed') {
				const cp = Array.isArray(content.changes) ? content.changes[0] : null;
				if (cp && typeof cp.seq === 'number') logged.set(cp.seq, { ...cp, loggedAt: row.seq });
			}
		}
		const hash = rowHash(previous, row.canonical);
		truth.set(row.seq, hash);
		if (toHex(hash) !== toHex(row.hash)) {
			add(row.seq, 'hash_mismatch', `row ${row.seq}: the stored hash does not match its content and the previous row`);
		}
		previous = hash;
	}
	const headSeq = sorted.length > 0 ? sorted[sorted.length - 1].seq : 0;

	let verified = 0;
	const byCovered = new Map(checkpoints.map((c) => [c.seq, c]));
	const sortedCheckpoints = [...checkpoints].sort((a, b) => a.seq - b.seq);
	for (const cp of sortedCheckpoints) {
		let signed = false;
		if (cp.incident !== incident) {
			add(cp.seq, 'checkpoint_incident', `checkpoint at seq ${cp.seq} names incident ${cp.incident}`);
		} else if (!publicKey) {
			add(cp.seq, 'no_public_key', 'there is no public key to check checkpoint signatures with');
		} else {
			try {
				signed = verifySignature(null, checkpointMessage(cp), publicKey, fromBase64(cp.signature));
			} catch {
				signed = false;
			}
			if (!signed) add(cp.seq, 'checkpoint_signature', `checkpoint at seq ${cp.seq}: the signature does not verify with key ${keyIdOf(publicKey)}`);
		}
		const actual = truth.get(cp.seq);
		if (cp.seq > headSeq || !actual) {
			const from = cp.seq > headSeq ? headSeq + 1 : cp.seq;
			add(from, 'rows_missing_below_checkpoint', `rows ${from}..${cp.seq} are missing: a checkpoint covers seq ${cp.seq} but the log ends at ${headSeq}`);
		} else if (toHex(actual) !== cp.head) {
			add(cp.seq, 'checkpoint_mismatch', `checkpoint at seq ${cp.seq} signed a different log than the one stored`);
		} else if (signed) {
			verified++;
		}
		if (!logged.has(cp.seq) && cp.seq < headSeq) {
			add(cp.seq + 1, 'checkpoint_row_missing', `checkpoint at seq ${cp.seq} is not recorded in the log`);
		}
	}
	for (const [seq, entry] of logged) {
		const cp = byCovered.get(seq);
		if (!cp) add(entry.loggedAt, 'checkpoint_missing', `the log records a checkpoint at seq ${seq} that is not among the checkpoints`);
		else if (cp.head !== entry.head || cp.signature !== entry.signature) {
			add(entry.loggedAt, 'checkpoint_mismatch', `the checkpoint at seq ${seq} differs from the one recorded in the log`);
		}
	}

	const last = sortedCheckpoints.length > 0 ? sortedCheckpoints[sortedCheckpoints.length - 1] : null;
	// The row that records the last checkpoint is itself after it; only rows beyond that are unprotected.
	const protectedUpTo = last ? Math.min(headSeq, last.seq + (logged.has(last.seq) ? 1 : 0)) : 0;
	const seqs = problems.map((p) => p.seq).filter((s) => s !== null);
	return {
		incident,
		ok: problems.length === 0,
		algorithm: ALGORITHM,
		rows: sorted.length,
		headSeq,
		headHash: headSeq > 0 ? toHex(/** @type {Uint8Array} */ (truth.get(headSeq))) : null,
		checkpoints: { count: checkpoints.length, verified, lastSeq: last ? last.seq : null, lastAt: last ? last.at : null },
		key: { keyId: publicKey ? keyIdOf(publicKey) : null, source: keySource },
		unprotectedTail: headSeq > protectedUpTo ? { fromSeq: protectedUpTo + 1, toSeq: headSeq } : null,
		firstBadSeq: seqs.length > 0 ? Math.min(.../** @type {number[]} */ (seqs)) : null,
		problems: problems.sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0))
	};
}

/**
 * Verifies an export bundle in `dir` (manifest.json, events.jsonl, checkpoints.jsonl,
 * public-key.pem), with `keyFile` (a PEM the auditor trusts) in place of the bundle's own key.
 * @param {string} dir
 * @param {string | null} keyFile
 * @returns {VerifyReport & {bundle: {files: Record<string, string>}}}
 */
export function verifyBundle(dir, keyFile) {
	const read = (/** @type {string} */ name) => fs.readFileSync(path.join(dir, name));
	const manifest = JSON.parse(read('manifest.json').toString('utf8'));
	/** @type {Problem[]} */
	const problems = [];
	/** @type {Record<string, string>} */
	const files = {};
	for (const [name, expected] of Object.entries(manifest.files ?? {})) {
		let actual = 'missing';
		try {
			actual = createHash('sha256').update(read(name)).digest('hex');
		} catch {
			// reported below
		}
		files[name] = actual === expected ? 'ok' : actual === 'missing' ? 'missing' : 'changed';
		if (actual !== expected) problems.push({ seq: null, code: 'bundle_file', message: `${name} is ${files[name]} since the export` });
	}
	const lines = (/** @type {string} */ name) =>
		read(name)
			.toString('utf8')
			.split('\n')
			.filter((l) => l.trim() !== '')
			.map((l) => JSON.parse(l));
	const rows = lines('events.jsonl').map((e) => ({
		seq: e.seq,
		canonical: fromBase64(e.canonical),
		hash: new Uint8Array(Buffer.from(e.hash, 'hex')),
		algorithm: e.algorithm,
		columns: { at: e.at, actor: e.actor, type: e.type, summary: e.summary, changes: e.changes, update: e.update }
	}));
	const checkpoints = lines('checkpoints.jsonl');
	const keySource = keyFile ? `--key ${keyFile}` : 'public-key.pem in the bundle (pass --key with a key you trust)';
	const publicKey = createPublicKey(keyFile ? fs.readFileSync(keyFile) : read('public-key.pem'));
	const report = verifyLog({ incident: manifest.incident.id, rows, checkpoints, publicKey, keySource, extraProblems: problems });
	if (report.headSeq !== manifest.headSeq) {
		report.problems.push({ seq: null, code: 'manifest_head', message: `the manifest says the log ends at ${manifest.headSeq}, the events end at ${report.headSeq}` });
		report.ok = false;
	}
	return { ...report, bundle: { files } };
}

/** Prints the report as JSON; on failure also names the first bad seq on stderr. */
export function printReport(/** @type {VerifyReport} */ report) {
	process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
	if (!report.ok) {
		const first = report.problems[0];
		process.stderr.write(
			`verification FAILED${report.firstBadSeq !== null ? ` at seq ${report.firstBadSeq}` : ''}: ${first ? first.message : 'see the report'}\n`
		);
	}
}

function main() {
	const args = process.argv.slice(2);
	let keyFile = null;
	let dir = process.cwd();
	for (let i = 0; i < args.length; i++) {
		if (args[i] === '--key') keyFile = args[++i] ?? null;
		else if (args[i] === '--help' || args[i] === '-h') {
			process.stdout.write('usage: node verify.mjs [--key trusted-public-key.pem] [bundle-folder]\n');
			return 0;
		} else dir = args[i];
	}
	const report = verifyBundle(dir, keyFile);
	printReport(report);
	return report.ok ? 0 : 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
	try {
		process.exitCode = main();
	} catch (error) {
		process.stderr.write(`verify.mjs: ${/** @type {Error} */ (error).message}\n`);
		process.exitCode = 2;
	}
}
