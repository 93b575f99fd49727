/**
 * The live channel of stakeholder links: Server-Sent Events streams, one per open link page.
 * A stream receives the stakeholder view when it opens and again whenever it changes (a
 * committed change in the incident, at most every REFRESH_MS), and is closed, with a final
 * `closed` event, the moment its link is revoked, expires or sharing is turned off.
 */
import type { StakeholderView } from '../../src/lib/shared/stakeholder-view';
import type { Logger } from '../logger';
import type { RoomRegistry } from '../sync/room-registry';

export interface ShareStream {
	linkId: string;
	incidentId: string;
	expiresAt: string;
	send(event: 'view', data: StakeholderView): void;
	close(reason: string): void;
}

const REFRESH_MS = 100;
const EXPIRY_CHECK_MS = 30_000;

export class ShareHub {
	private readonly streams = new Set<ShareStream>();
	private readonly last = new Map<string, string>();
	private readonly pending = new Map<string, NodeJS.Timeout>();
	private readonly expiry: NodeJS.Timeout;

	constructor(
		private readonly rooms: RoomRegistry,
		private readonly logger: Logger
	) {
		this.expiry = setInterval(() => {
			const now = Date.now();
			for (const stream of this.streams) if (Date.parse(stream.expiresAt) <= now) this.end(stream, 'the link expired');
		}, EXPIRY_CHECK_MS);
		this.expiry.unref();
	}

	/** The current stakeholder view of an incident, built by its room from the committed state. */
	async view(incidentId: string): Promise<StakeholderView> {
		const room = await this.rooms.get(incidentId);
		return room.stakeholderView();
	}

	add(stream: ShareStream): () => void {
		this.streams.add(stream);
		return () => this.streams.delete(stream);
	}

	get size(): number {
		return this.streams.size;
	}

	/** An incident's log moved on: refresh its view for the streams watching it, if it changed. */
	changed(incidentId: string): void {
		if (this.pending.has(incidentId) || ![...this.streams].some((s) => s.incidentId === incidentId)) return;
		const timer = setTimeout(() => {
			this.pending.delete(incidentId);
			this.view(incidentId).then(
				(view) => {
					const json = JSON.stringify(view);
					if (this.last.get(incidentId) === json) return;
					this.last.set(incidentId, json);
					for (const stream of this.streams) if (stream.incidentId === incidentId) stream.send('view', view);
				},
				(error) => this.logger.warn('could not refresh a stakeholder view', { incidentId, error })
			);
		}, REFRESH_MS);
		timer.unref();
		this.pending.set(incidentId, timer);
	}

	closeLink(linkId: string, reason: string): void {
		for (const stream of this.streams) if (stream.linkId === linkId) this.end(stream, reason);
	}

	closeIncident(incidentId: string, reason: string): void {
		for (const stream of this.streams) if (stream.incidentId === incidentId) this.end(stream, reason);
	}

	shutdown(): void {
		clearInterval(this.expiry);
		for (const timer of this.pending.values()) clearTimeout(timer);
		for (const stream of this.streams) this.end(stream, 'the server is shutting down');
	}

	private end(stream: ShareStream, reason: string): void {
		this.streams.delete(stream);
		stream.close(reason);
	}
}
