import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vitest/config';

const server = process.env.VIGILES_DEV_SERVER ?? 'http://127.0.0.1:3000';

export default defineConfig({
	plugins: [sveltekit()],
	server: {
		// `npm run dev`: the UI from Vite, /api and /sync from a running `vigiles serve`.
		proxy: {
			'/api': server,
			'/sync': { target: server.replace(/^http/, 'ws'), ws: true }
		}
	},
	test: {
		include: ['tests/unit/**/*.test.ts', 'tests/integration/**/*.test.ts'],
		globalSetup: ['tests/support/global-setup.ts'],
		testTimeout: 60_000,
		hookTimeout: 120_000,
		pool: 'forks',
		fileParallelism: true,
		maxWorkers: 2
	}
});
