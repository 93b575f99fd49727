/** Words shown next to severity numbers, lanes, milestones and precisions, so nothing needs a legend. */
import type { Lane, Milestone, Precision } from '$lib/shared/doc-schema';
import type { Severity } from '$lib/shared/incident-kinds';

export const SEVERITY_HINTS: Record<Severity, string> = {
	1: 'most severe',
	2: 'major',
	3: 'minor',
	4: 'least severe'
};

export const LANE_LABELS: Record<Lane, string> = {
	response: 'Response',
	intrusion: 'Intrusion'
};

/** What each lane holds, for the add box and the swimlane's description. */
export const LANE_HINTS: Record<Lane, string> = {
	response: 'what we did and saw',
	intrusion: 'what the attacker did, reconstructed'
};

/** The moments an entry can mark, as people say them (shared: the postmortem uses them too). */
export { MILESTONE_LABELS } from '$lib/shared/doc-schema';

/** How exactly a figure is known: "good to a day". */
export const PRECISION_WORDS: Record<Precision, string> = {
	exact: 'good to the second',
	minute: 'good to a minute',
	hour: 'good to an hour',
	day: 'good to a day'
};
