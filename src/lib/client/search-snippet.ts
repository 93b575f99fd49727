/**
 * A search hit's snippet, split for display. The server wraps each match in « and » in plain
 * text (server/review/search-index.ts); the page renders the parts as text and <mark>, never as
 * HTML, so a snippet holding markup shows it as typed.
 */
export interface SnippetPart {
	text: string;
	match: boolean;
}

export function snippetParts(snippet: string): SnippetPart[] {
	const parts: SnippetPart[] = [];
	let rest = snippet;
	while (rest !== '') {
		const open = rest.indexOf('«');
		if (open < 0) break;
		const close = rest.indexOf('»', open + 1);
		if (close < 0) break;
		if (open > 0) parts.push({ text: rest.slice(0, open), match: false });
		if (close > open + 1) parts.push({ text: rest.slice(open + 1, close), match: true });
		rest = rest.slice(close + 1);
	}
	if (rest !== '') parts.push({ text: rest, match: false });
	return parts;
}
