/**
 * The browser's client for the JSON API (server/http). Every call goes through `request`, which
 * sends JSON, reads `{error: {code, message}}` bodies into an `ApiRequestError`, and on 401
 * sends the person to the sign-in page with a `next` link back here, unless the caller asks to
 * handle 401 itself (the sign-in form, the room's "session ended" state).
 */
import { goto } from '$app/navigation';
import type { Provenance } from '$lib/shared/provenance';
import type { LogEvent } from '$lib/shared/protocol';
import type { IncidentKind, Severity } from '$lib/shared/incident-kinds';

export type Role = 'admin' | 'responder' | 'observer';
export const ROLES: readonly Role[] = ['admin', 'responder', 'observer'];

export interface User {
	id: string;
	email: string;
	name: string;
	role: Role;
	/** A disabled user cannot sign in; their sessions and tokens stopped working. */
	disabled: boolean;
}

/** `GET /api/people`: who can be added to an incident (active users, no emails). */
export interface Person {
	id: string;
	name: string;
	role: Role;
}

export interface Member {
	id: string;
	name: string;
	role: Role;
	addedAt: string;
}

/** A stakeholder link as the room lists it; its URL is shown only once, when it is created. */
export interface ShareLink {
	id: string;
	label: string;
	createdBy: { id: string; name: string };
	createdAt: string;
	expiresAt: string;
	lastUsedAt: string | null;
	revokedAt: string | null;
}

export interface CreatedLink {
	id: string;
	url: string;
	label: string;
	expiresAt: string;
}

export interface ApiToken {
	id: string;
	name: string;
	createdAt: string;
	lastUsedAt: string | null;
	revokedAt: string | null;
}

export interface Incident {
	id: string;
	title: string;
	kind: IncidentKind;
	severity: Severity;
	status: string;
	createdAt: string;
	updatedAt: string;
	closedAt: string | null;
	createdBy: { id: string; name: string };
	headSeq: number;
	/** Only members see it (security incidents start restricted). */
	restricted: boolean;
	/** Stakeholder links may be created. */
	linksEnabled: boolean;
}

export interface LogPage {
	events: LogEvent[];
	headSeq: number;
}

/** `GET /api/incidents/:id/integrity`: the verify outcome without its details, for the room's badge. */
export interface IntegritySummary {
	ok: boolean;
	checkedAt: string;
	headSeq: number;
	checkpoints: CheckpointSummary;
	/** Rows after the last signed checkpoint: chained, not yet signed. */
	unprotectedTail: { fromSeq: number; toSeq: number } | null;
	firstBadSeq: number | null;
	/** How many problems the full report lists. */
	problems: number;
}

export interface CheckpointSummary {
	count: number;
	verified: number;
	lastSeq: number | null;
	lastAt: string | null;
}

/** `GET /api/incidents/:id/verify` (admins): the full report, as `vigiles verify` prints it. */
export interface VerifyReport {
	incident: string;
	ok: boolean;
	algorithm: string;
	rows: number;
	headSeq: number;
	headHash: string | null;
	checkpoints: CheckpointSummary;
	key: { keyId: string | null; source: string };
	unprotectedTail: { fromSeq: number; toSeq: number } | null;
	firstBadSeq: number | null;
	problems: { seq: number | null; code: string; message: string }[];
}

export class ApiRequestError extends Error {
	override name = 'ApiRequestError';
	constructor(
		readonly status: number,
		readonly code: string,
		message: string,
		/** True when the client already navigated away (to sign in): show nothing. */
		readonly handled = false,
		/** The error object's other fields (e.g. `missing` for a refused close). */
		readonly details: Record<string, unknown> = {}
	) {
		super(message);
	}
}

interface RequestOptions {
	/** Throw on 401 instead of going to the sign-in page. */
	allowUnauthenticated?: boolean;
}

export async function request<T>(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
	let response: Response;
	try {
		response = await fetch(path, {
			method,
			headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
			body: body === undefined ? undefined : JSON.stringify(body),
			credentials: 'same-origin'
		});
	} catch {
		throw new ApiRequestError(0, 'network', 'The server cannot be reached. Check your connection and try again.');
	}
	const text = await response.text();
	let json: unknown = null;
	try {
		json = text === '' ? null : JSON.parse(text);
	} catch {
		json = null;
	}
	if (response.ok) return json as T;

	const error = (json as { error?: { code?: unknown; message?: unknown } } | null)?.error;
	const code = typeof error?.code === 'string' ? error.code : 'http_' + response.status;
	const message = typeof error?.message === 'string' ? error.message : `The server answered ${response.status}.`;
	if (response.status === 401 && !options.allowUnauthenticated) {
		await goto(signInPath(), { replaceState: true });
		throw new ApiRequestError(401, code, message, true);
	}
	const { code: _code, message: _message, ...details } = (error ?? {}) as Record<string, unknown>;
	throw new ApiRequestError(response.status, code, message, false, details);
}

/** The sign-in page with a `next` link back to where the person is now. */
export function signInPath(): string {
	const here = location.pathname + location.search + location.hash;
	return here === '/' || here.startsWith('/login') ? '/login' : `/login?next=${encodeURIComponent(here)}`;
}

/**
 * Where to go after signing in: `next` if it is a path on this site, else `/`.
 * Refuses `//host`, `/\host` and absolute URLs, which would leave the site.
 */
export function safeNext(next: string | null): string {
	if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
	try {
		const url = new URL(next, location.origin);
		if (url.origin !== location.origin) return '/';
		return url.pathname + url.search + url.hash;
	} catch {
		return '/';
	}
}

/** Words for an error, for a form's error line: the server's message, as a sentence. */
export function errorText(error: unknown): string {
	if (error instanceof ApiRequestError) return asSentence(error.message);
	return 'Something went wrong in this page. Reload and try again.';
}

/** The API's messages are lower-case clauses ("the current password is not right"). */
function asSentence(text: string): string {
	const trimmed = text.trim();
	if (trimmed === '') return trimmed;
	const capital = trimmed[0].toUpperCase() + trimmed.slice(1);
	return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

export const api = {
	me: (options?: RequestOptions) => request<{ user: User }>('GET', '/api/me', undefined, options),
	login: (email: string, password: string) =>
		request<{ user: User }>('POST', '/api/auth/login', { email, password }, { allowUnauthenticated: true }),
	logout: () => request<{ ok: true }>('POST', '/api/auth/logout', {}, { allowUnauthenticated: true }),
	setupNeeded: () => request<{ needed: boolean }>('GET', '/api/setup', undefined, { allowUnauthenticated: true }),
	setup: (body: { token: string; email: string; name: string; password: string }) =>
		request<{ user: User }>('POST', '/api/setup', body, { allowUnauthenticated: true }),
	users: () => request<{ users: User[] }>('GET', '/api/users'),
	createUser: (body: { email: string; name: string; password: string; role: Role }) =>
		request<{ user: User }>('POST', '/api/users', body),
	updateUser: (id: string, patch: { role?: Role; disabled?: boolean }) =>
		request<{ user: User }>('PATCH', `/api/users/${encodeURIComponent(id)}`, patch),
	people: () => request<{ people: Person[] }>('GET', '/api/people'),
	changePassword: (body: { currentPassword: string; newPassword: string }) => request<{ ok: true }>('POST', '/api/me/password', body),
	tokens: () => request<{ tokens: ApiToken[] }>('GET', '/api/tokens'),
	/** The token itself is in this one response and never again. */
	createToken: (name: string) => request<ApiToken & { token: string }>('POST', '/api/tokens', { name }),
	revokeToken: (id: string) => request<{ ok: true }>('DELETE', `/api/tokens/${encodeURIComponent(id)}`),
	incidents: () => request<{ incidents: Incident[] }>('GET', '/api/incidents'),
	incident: (id: string, options?: RequestOptions) => request<Incident>('GET', `/api/incidents/${encodeURIComponent(id)}`, undefined, options),
	createIncident: (body: { title: string; kind: IncidentKind; severity: Severity }) =>
		request<Incident>('POST', '/api/incidents', body),
	log: (id: string, range: { after?: number; before?: number; limit: number }, options?: RequestOptions) => {
		const query = new URLSearchParams({ limit: String(range.limit) });
		if (range.after !== undefined) query.set('after', String(range.after));
		if (range.before !== undefined) query.set('before', String(range.before));
		return request<LogPage>('GET', `/api/incidents/${encodeURIComponent(id)}/log?${query}`, undefined, options);
	},
	phases: (id: string, options?: RequestOptions) =>
		request<LogPage>('GET', `/api/incidents/${encodeURIComponent(id)}/phases`, undefined, options),
	provenance: (id: string, options?: RequestOptions) =>
		request<Provenance>('GET', `/api/incidents/${encodeURIComponent(id)}/provenance`, undefined, options),
	integrity: (id: string, options?: RequestOptions) =>
		request<IntegritySummary>('GET', `/api/incidents/${encodeURIComponent(id)}/integrity`, undefined, options),
	members: (id: string) => request<{ members: Member[] }>('GET', `${incidentPath(id)}/members`),
	addMember: (id: string, userId: string) => request<{ members: Member[] }>('POST', `${incidentPath(id)}/members`, { userId }),
	removeMember: (id: string, userId: string) =>
		request<{ members: Member[] }>('DELETE', `${incidentPath(id)}/members/${encodeURIComponent(userId)}`),
	setRestricted: (id: string, restricted: boolean) => request<Incident>('PUT', `${incidentPath(id)}/restriction`, { restricted }),
	/** `confirmed` must be true to turn links on for a security incident (422 `confirmation_required`). */
	setSharing: (id: string, enabled: boolean, confirmed = false) =>
		request<Incident>('PUT', `${incidentPath(id)}/sharing`, { enabled, confirmed }),
	links: (id: string) => request<{ links: ShareLink[] }>('GET', `${incidentPath(id)}/links`),
	createLink: (id: string, body: { label: string; expiresInDays: number }) =>
		request<CreatedLink>('POST', `${incidentPath(id)}/links`, body),
	revokeLink: (linkId: string) => request<{ link: ShareLink }>('DELETE', `/api/links/${encodeURIComponent(linkId)}`),
	verify: (id: string) => request<VerifyReport>('GET', `/api/incidents/${encodeURIComponent(id)}/verify`),
	/** A plain link, not a fetch: the browser downloads the zip itself (Content-Disposition). */
	exportUrl: (id: string) => `/api/incidents/${encodeURIComponent(id)}/export`
};

function incidentPath(id: string): string {
	return `/api/incidents/${encodeURIComponent(id)}`;
}
