/**
 * A room's Yjs work, in a worker thread: the committed document, the staging document, and every
 * integration of an untrusted update. Yjs integration can cost time quadratic in crafted input
 * (concurrent inserts at one position; see yjs/yjs#687 for the decoder's side of the same class),
 * so it must never run on the thread that serves every other incident. The main thread
 * (doc-engine.ts) gives each request a time budget and terminates this worker when it is spent.
 *
 * Requests are answered in the order they arrive; `commit` and `claim` have no answer.
 */
import { parentPort } from 'node:worker_threads';
import * as Y from 'yjs';
import { applyServerChange } from '../../src/lib/shared/doc-schema';
import { ProtocolError } from '../../src/lib/shared/protocol';
import { stakeholderView } from '../../src/lib/shared/stakeholder-view';
import { readRoomState } from '../../src/lib/shared/room-state';
import { ForbiddenChangeError, IncidentClosedError, MissingDependencyError, Staging, StagingCorruptedError } from './staging';
import type { EngineRequest, EngineReply } from './doc-engine-protocol';

if (!parentPort) throw new Error('doc-worker must run in a worker thread');
const port = parentPort;

let committed = new Y.Doc();
let staging = new Staging(committed);
/** Accepted updates not yet committed, oldest first: what staging holds beyond `committed`. */
let staged: Uint8Array[] = [];
/** clientID → userId: the log's bindings, plus presence claims (a live connection's clientIDs). */
const owners = new Map<number, string>();

function ownerOf(clientId: number): string | undefined {
	return owners.get(clientId);
}

function rebuild(queued: Uint8Array[]): void {
	staging.destroy();
	staged = [...queued];
	staging = new Staging(committed);
	staging.replay(staged);
}

function handle(request: EngineRequest): unknown {
	switch (request.op) {
		case 'load': {
			committed.destroy();
			committed = new Y.Doc();
			committed.transact(() => {
				if (request.snapshot) Y.applyUpdate(committed, request.snapshot, 'log');
				for (const update of request.updates) Y.applyUpdate(committed, update, 'log');
			});
			for (const [clientId, userId] of request.owners) owners.set(clientId, userId);
			rebuild([]);
			return null;
		}
		case 'judge': {
			try {
				const judged = staging.apply(request.update, request.actorId, ownerOf, request.trusted ? 'server' : 'client');
				if (judged && request.closed) {
					// Archived: staging drops just this update and keeps what is queued ahead of it.
					rebuild(staged);
					throw new IncidentClosedError('the incident is closed; changes made after closing were not saved');
				}
				if (judged) {
					staged.push(request.update);
					for (const clientId of judged.newClientIds) owners.set(clientId, request.actorId);
				}
				return judged;
			} catch (error) {
				if (error instanceof StagingCorruptedError || error instanceof MissingDependencyError || (error instanceof ForbiddenChangeError && error.applied)) {
					rebuild(staged);
				}
				throw error;
			}
		}
		case 'commit':
			for (const update of request.updates) {
				Y.applyUpdate(committed, update, 'log');
				staged.shift();
			}
			return undefined;
		case 'claim':
			if (!owners.has(request.clientId)) owners.set(request.clientId, request.userId);
			return undefined;
		case 'rebuild':
			rebuild(request.queued);
			return null;
		case 'diff':
			try {
				Y.decodeStateVector(request.stateVector);
				return Y.encodeStateAsUpdate(committed, request.stateVector);
			} catch (error) {
				throw new ProtocolError(`state vector could not be decoded: ${(error as Error).message}`);
			}
		case 'stateVector':
			return Y.encodeStateVector(committed);
		case 'snapshot':
			return Y.encodeStateAsUpdate(committed);
		case 'stakeholderView':
			return stakeholderView(committed);
		case 'roomState':
			return readRoomState(committed);
		case 'serverChange': {
			// Made on a copy of the staged state under a fresh clientID; the room then submits the
			// resulting update like any other, so it is judged, logged and relayed the same way.
			const scratch = new Y.Doc();
			Y.applyUpdate(scratch, staging.encode());
			const updates: Uint8Array[] = [];
			scratch.on('update', (update: Uint8Array) => updates.push(update));
			applyServerChange(scratch, request.change);
			scratch.destroy();
			return updates.length > 0 ? Y.mergeUpdates(updates) : null;
		}
	}
}

port.on('message', (request: EngineRequest) => {
	if (request.op === 'judge') port.postMessage({ id: request.id, started: true } satisfies EngineReply);
	let reply: EngineReply | null;
	try {
		const value = handle(request);
		reply = request.id === undefined ? null : { id: request.id, ok: true, value };
	} catch (error) {
		const e = error as Error;
		const kind =
			e instanceof ForbiddenChangeError
				? 'forbidden'
				: e instanceof MissingDependencyError
					? 'dependency'
					: e instanceof IncidentClosedError
						? 'closed'
					: e instanceof ProtocolError
						? 'protocol'
						: 'internal';
		reply =
			request.id === undefined
				? null
				: { id: request.id, ok: false, error: { kind, message: e.message, cause: typeof e.cause === 'number' ? e.cause : undefined } };
		if (kind === 'internal') console.error('doc-worker:', e);
	}
	if (reply) port.postMessage(reply);
});

