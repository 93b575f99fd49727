import { defineConfig } from '@playwright/test';
import type { Engine } from './tests/e2e/servers';

/**
 * End-to-end tests: a real browser (Debian's chromium) against real servers that
 * tests/e2e/global-setup.ts starts, one per engine. The `postgres` project runs only when
 * TEST_DATABASE_URL points at a Postgres server to make a scratch database in.
 */
const engines: Engine[] = process.env.TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];

export default defineConfig<{ engine: Engine }>({
	testDir: 'tests/e2e',
	testMatch: '*.e2e.ts',
	globalSetup: './tests/e2e/global-setup.ts',
	workers: 1,
	fullyParallel: false,
	forbidOnly: !!process.env.CI,
	timeout: 90_000,
	expect: { timeout: 15_000 },
	reporter: [['list']],
	use: {
		// Not UTC, so "local" and UTC times differ on screen.
		timezoneId: 'Europe/Berlin',
		trace: 'retain-on-failure',
		launchOptions: {
			executablePath: '/usr/bin/chromium',
			args: [
				'--headless',
				'--no-sandbox',
				'--disable-gpu',
				'--disable-background-networking',
				'--disable-component-update',
				'--disable-sync',
				'--no-first-run'
			]
		}
	},
	projects: engines.map((engine) => ({ name: engine, use: { engine } }))
});
