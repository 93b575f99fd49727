/**
 * What global-setup.ts started, handed to the tests through one environment variable (Playwright
 * passes the main process's environment to its workers after global setup has run).
 */
export const ENGINES = ['pglite', 'postgres'] as const;
export type Engine = (typeof ENGINES)[number];

export interface E2eUser {
	email: string;
	name: string;
	password: string;
	role: 'admin' | 'responder' | 'observer';
}

export interface E2eServer {
	engine: Engine;
	url: string;
}

export interface E2eServers {
	servers: Partial<Record<Engine, E2eServer>>;
	users: { ada: E2eUser; grace: E2eUser; otto: E2eUser; margaret: E2eUser };
}

export const SERVERS_ENV = 'VIGILES_E2E_SERVERS';

/** Two responders, an observer and an admin; created with the CLI before each server starts. */
export const USERS: E2eServers['users'] = {
	ada: { email: 'ada@e2e.test', name: 'Ada Lovelace', password: 'analytical engine 1843', role: 'responder' },
	grace: { email: 'grace@e2e.test', name: 'Grace Hopper', password: 'first actual bug 1947', role: 'responder' },
	otto: { email: 'otto@e2e.test', name: 'Otto Neurath', password: 'isotype picture 1925', role: 'observer' },
	margaret: { email: 'margaret@e2e.test', name: 'Margaret Hamilton', password: 'priority displays 1969', role: 'admin' }
};

export function readServers(): E2eServers {
	const raw = process.env[SERVERS_ENV];
	if (!raw) throw new Error(`${SERVERS_ENV} is not set: run the tests with "npx playwright test" so global setup starts the servers`);
	return JSON.parse(raw) as E2eServers;
}
