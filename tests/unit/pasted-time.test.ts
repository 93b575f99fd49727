import { describe, expect, it } from 'vitest';
import { splitPastedTime } from '../../src/lib/client/pasted-time';

const now = new Date('2026-12-04T09:00:00Z');

describe('splitPastedTime', () => {
	it('takes a leading time with its zone or offset into When and keeps the rest as the text', () => {
		expect(splitPastedTime('2018-10-21 23:07 UTC Engineers lock deployment tooling', now, 'UTC')).toEqual({
			when: '2018-10-21 23:07 UTC',
			text: 'Engineers lock deployment tooling'
		});
		expect(splitPastedTime('14:03 -07:00 rolled back the deploy', now, 'UTC')).toEqual({ when: '14:03 -07:00', text: 'rolled back the deploy' });
		expect(splitPastedTime('2022-12-16..19 UTC Malware on a laptop', now, 'UTC')).toEqual({ when: '2022-12-16..19 UTC', text: 'Malware on a laptop' });
	});

	it('drops the separator between the time and the text', () => {
		expect(splitPastedTime('22:52 UTC: primary lost', now, 'UTC')).toEqual({ when: '22:52 UTC', text: 'primary lost' });
		expect(splitPastedTime('[14:03] paged DBA', now, 'UTC')).toEqual({ when: '14:03', text: 'paged DBA' });
		expect(splitPastedTime('2018-10-21T22:52:00Z — writes fail', now, 'UTC')).toEqual({ when: '2018-10-21T22:52:00Z', text: 'writes fail' });
	});

	it('takes a paste that is only a time into When', () => {
		expect(splitPastedTime(' 2018-10-21 23:07 UTC ', now, 'UTC')).toEqual({ when: '2018-10-21 23:07 UTC', text: '' });
	});

	it('leaves text that does not start with a time alone', () => {
		expect(splitPastedTime('10 servers down in eu-west', now, 'UTC')).toBeNull();
		expect(splitPastedTime('2018 was a bad year', now, 'UTC')).toBeNull();
		expect(splitPastedTime('Engineers lock deployment tooling at 23:07', now, 'UTC')).toBeNull();
		expect(splitPastedTime('99:99 nonsense', now, 'UTC')).toBeNull();
	});
});
