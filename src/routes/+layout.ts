// A single-page app: every page renders in the browser against the JSON API.
export const ssr = false;
export const prerender = false;
