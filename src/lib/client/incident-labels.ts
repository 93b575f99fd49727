/** Words shown next to severity numbers, so SEV1 reads as the worst without a legend. */
import type { Severity } from '$lib/shared/incident-kinds';

export const SEVERITY_HINTS: Record<Severity, string> = {
	1: 'most severe',
	2: 'major',
	3: 'minor',
	4: 'least severe'
};
