import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vitest/config';

const server = process.env.VIGILES_DEV_SERVER ?? 'http://127.0.0.1:3000';

export default defineConfig({
	plugins: [sveltekit()],
	server: {
		// `npm run dev`: the UI from Vite, /api and /sync from a running `vigiles serve`.
		// changeOrigin stays false so the server sees the page's Host and accepts its Origin.
		proxy: {
			'/api': { target: server, changeOrigin: false },
			'/sync': { target: server.replace(/^http/, 'ws'), ws: true, changeOrigin: false }
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
