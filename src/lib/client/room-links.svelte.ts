/**
 * The room's stakeholder links (server/http/share-routes.ts and the sharing switch in
 * members-routes.ts): whether links are on, the links made so far, and the one link just made,
 * whose URL the server shows this once and never again. Owned by LinksPanel; reloaded when the
 * room's `accessVersion` moves (someone else made, used or revoked a link).
 */
import { api, ApiRequestError, type CreatedLink, type ShareLink } from './api';
import type { IncidentRoom } from './incident-room.svelte';
import { ServerList } from './server-list.svelte';

export const DEFAULT_LINK_DAYS = 7;
export const MAX_LINK_DAYS = 90;

export class RoomLinks extends ServerList {
	links = $state.raw<ShareLink[] | null>(null);
	/** The link just created: its URL is on screen until dismissed, and cannot be shown again. */
	created = $state.raw<CreatedLink | null>(null);
	/** The server asked for the explicit confirmation (a security incident). */
	confirmationRequired = $state(false);

	constructor(private readonly room: IncidentRoom) {
		super();
	}

	get enabled(): boolean {
		return this.room.incident?.linksEnabled ?? false;
	}

	/** Links on a security incident may tip off an intruder: turning them on needs a confirmation. */
	get needsConfirmation(): boolean {
		return this.room.meta.kind === 'security' || this.room.incident?.kind === 'security';
	}

	load(): Promise<void> {
		return this.reload(() => api.links(this.room.incidentId), ({ links }) => (this.links = links));
	}

	setSharing(enabled: boolean, confirmed = false): Promise<boolean> {
		return this.change(async () => {
			this.room.incident = await api.setSharing(this.room.incidentId, enabled, confirmed);
			this.confirmationRequired = false;
		});
	}

	create(label: string, expiresInDays: number): Promise<boolean> {
		return this.change(async () => {
			this.created = await api.createLink(this.room.incidentId, { label: label.trim(), expiresInDays });
			this.links = (await api.links(this.room.incidentId)).links;
		});
	}

	revoke(linkId: string): Promise<boolean> {
		return this.change(async () => {
			const { link } = await api.revokeLink(linkId);
			this.links = this.links?.map((l) => (l.id === link.id ? link : l)) ?? [link];
			if (this.created?.id === linkId) this.created = null;
		});
	}

	dismissCreated(): void {
		this.created = null;
	}

	/** The server asked for the explicit confirmation: the panel shows it instead of an error. */
	protected override fail(error: unknown): void {
		if (error instanceof ApiRequestError && error.code === 'confirmation_required') this.confirmationRequired = true;
		super.fail(error);
	}
}
