/**
 * The room's stakeholder links (server/http/share-routes.ts and the sharing switch in
 * members-routes.ts): whether links are on, the links made so far, and the one link just made,
 * whose URL the server shows this once and never again. Owned by LinksPanel; reloaded when the
 * room's `accessVersion` moves (someone else made, used or revoked a link).
 */
import { api, ApiRequestError, errorText, type CreatedLink, type ShareLink } from './api';
import type { IncidentRoom } from './incident-room.svelte';

export const DEFAULT_LINK_DAYS = 7;
export const MAX_LINK_DAYS = 90;

export class RoomLinks {
	links = $state.raw<ShareLink[] | null>(null);
	/** The link just created: its URL is on screen until dismissed, and cannot be shown again. */
	created = $state.raw<CreatedLink | null>(null);
	error = $state<string | null>(null);
	busy = $state(false);
	/** The server asked for the explicit confirmation (a security incident). */
	confirmationRequired = $state(false);
	#generation = 0;

	constructor(private readonly room: IncidentRoom) {}

	get enabled(): boolean {
		return this.room.incident?.linksEnabled ?? false;
	}

	/** Links on a security incident may tip off an intruder: turning them on needs a confirmation. */
	get needsConfirmation(): boolean {
		return this.room.meta.kind === 'security' || this.room.incident?.kind === 'security';
	}

	async load(): Promise<void> {
		const generation = ++this.#generation;
		try {
			const { links } = await api.links(this.room.incidentId);
			if (generation === this.#generation) this.links = links;
		} catch (error) {
			if (generation === this.#generation) this.#fail(error);
		}
	}

	setSharing(enabled: boolean, confirmed = false): Promise<boolean> {
		return this.#change(async () => {
			this.room.incident = await api.setSharing(this.room.incidentId, enabled, confirmed);
			this.confirmationRequired = false;
		});
	}

	create(label: string, expiresInDays: number): Promise<boolean> {
		return this.#change(async () => {
			this.created = await api.createLink(this.room.incidentId, { label: label.trim(), expiresInDays });
			this.links = (await api.links(this.room.incidentId)).links;
		});
	}

	revoke(linkId: string): Promise<boolean> {
		return this.#change(async () => {
			const { link } = await api.revokeLink(linkId);
			this.links = this.links?.map((l) => (l.id === link.id ? link : l)) ?? [link];
			if (this.created?.id === linkId) this.created = null;
		});
	}

	dismissCreated(): void {
		this.created = null;
	}

	async #change(action: () => Promise<void>): Promise<boolean> {
		this.#generation++;
		this.busy = true;
		this.error = null;
		try {
			await action();
			return true;
		} catch (error) {
			if (error instanceof ApiRequestError && error.code === 'confirmation_required') this.confirmationRequired = true;
			this.#fail(error);
			return false;
		} finally {
			this.busy = false;
		}
	}

	#fail(error: unknown): void {
		if (error instanceof ApiRequestError && error.handled) return;
		this.error = errorText(error);
	}
}
