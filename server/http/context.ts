/**
 * What every route can reach: the stores and services built in main.ts, and per request the
 * signed-in user (if any).
 */
import type { ApiTokenStore } from '../auth/api-token-store';
import type { LoginThrottle } from '../auth/login-throttle';
import type { SessionStore, SessionUser } from '../auth/session-store';
import type { SetupToken } from '../auth/setup-token';
import type { IncidentStore } from '../incidents/incident-store';
import type { IncidentLock } from '../incidents/incident-lock';
import type { MemberStore } from '../incidents/member-store';
import type { TemplateStore } from '../incidents/template-store';
import type { IntegrityChecks } from '../review/integrity-checks';
import type { Replayer } from '../review/replayer';
import type { WorkLimiter } from '../review/work-limiter';
import type { SearchIndex } from '../review/search-index';
import type { LinkStore } from '../share/link-store';
import type { ShareHub } from '../share/share-hub';
import type { LogStore } from '../log/log-store';
import type { Signer } from '../log/signing-key';
import type { Logger } from '../logger';
import type { OpenConnections } from '../sync/open-connections';
import type { RoomRegistry } from '../sync/room-registry';
import type { UserStore } from '../users/user-store';

export interface AppDeps {
	users: UserStore;
	sessions: SessionStore;
	tokens: ApiTokenStore;
	loginThrottle: LoginThrottle;
	incidents: IncidentStore;
	members: MemberStore;
	templates: TemplateStore;
	search: SearchIndex;
	/** Rooms as they were at a seq (bounded work, cached). */
	replayer: Replayer;
	/** Chain verification for readers: bounded work, recent reports shared. */
	integrity: IntegrityChecks;
	/** Bounds costly reads of the record (replays, verification, bundle exports); 503 busy when full. */
	reviewWork: WorkLimiter;
	/** One record-changing command at a time per incident. */
	incidentLock: IncidentLock;
	links: LinkStore;
	share: ShareHub;
	log: LogStore;
	rooms: RoomRegistry;
	connections: OpenConnections;
	signer: Signer;
	setupToken: SetupToken;
	logger: Logger;
	/** `https://host` when Vigiles is reached over https (then cookies are Secure). */
	publicUrl: string | undefined;
	/** Further browser origins allowed to act (VIGILES_ALLOWED_ORIGINS). */
	allowedOrigins: readonly string[];
	/** Folder of the built UI; null to serve no UI (API-only tests). */
	uiDir: string | null;
}

export interface AppEnv {
	Variables: {
		session: SessionUser | null;
	};
}
