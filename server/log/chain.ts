/**
 * Turns log items into chained rows, for the append path (LogStore) and incident creation.
 * The format itself lives in log-chain.mjs, which the exported verify.mjs shares.
 */
import type { Change } from '../../src/lib/shared/changes';
import { ALGORITHM, canonicalRow, GENESIS, rowHash } from './log-chain.mjs';

export { ALGORITHM, GENESIS };

export interface RowInput {
	at: Date;
	actorId: string | null;
	type: string;
	summary: string;
	changes: Change[];
	update: Uint8Array | null;
}

export interface ChainedRow extends RowInput {
	incidentId: string;
	seq: number;
	canonical: Uint8Array;
	hash: Uint8Array;
	algorithm: string;
}

/** The row at `seq`, hashed onto `previousHash` (GENESIS for seq 1). */
export function chainRow(incidentId: string, seq: number, previousHash: Uint8Array, input: RowInput): ChainedRow {
	const canonical = canonicalRow({
		incident: incidentId,
		seq,
		at: input.at.toISOString(),
		actor: input.actorId,
		type: input.type,
		summary: input.summary,
		changes: input.changes,
		update: input.update ? Buffer.from(input.update).toString('base64') : null
	});
	return { ...input, incidentId, seq, canonical, hash: rowHash(previousHash, canonical), algorithm: ALGORITHM };
}
