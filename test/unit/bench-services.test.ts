import { renderServiceTable, type ServiceSample } from '../../bench/services';
import { parseBenchOptions, serviceWorkloads, syntheticWorkloads } from '../../bench/options';

const sample = (over: Partial<ServiceSample>): ServiceSample => ({
  service: 'redis',
  network: 'host',
  leg: 'alpha → beta',
  outcome: 'migrated',
  downtimeSeconds: 1,
  clientGapSeconds: 1.2,
  failedRequests: 1,
  acknowledged: 1000,
  missing: 0,
  reconnects: 0,
  ...over,
});

describe('the services benchmark', () => {
  it('takes services beside the synthetic workloads and keeps them apart', () => {
    const parsed = parseBenchOptions(['--workloads', 'idle,redis,postgres']);
    expect(parsed.ok && syntheticWorkloads(parsed.value)).toEqual(['idle']);
    expect(parsed.ok && serviceWorkloads(parsed.value)).toEqual(['redis', 'postgres']);
    expect(parseBenchOptions(['--workloads', 'mysql']).ok).toBe(false);
  });

  it('reports medians of the migrated legs, the gap beyond the downtime, and every missing write', () => {
    const table = renderServiceTable(
      [sample({ downtimeSeconds: 0.8, clientGapSeconds: 1.0 }), sample({ downtimeSeconds: 1.0, clientGapSeconds: 1.5, missing: 2 }), sample({ downtimeSeconds: 5, outcome: 'rolled-back' })],
      '2026-12-02',
    );
    expect(table).toContain('| redis | host | 2 of 3 | 1.000 | 1.500 | 0.500 | 1 | 0 | 2 | - |');
  });

  it("marks issue 14's targets at an address of its own over every leg, not the median", () => {
    const own = (over: Partial<ServiceSample>) => sample({ network: 'own', failedRequests: 0, downtimeSeconds: 1, clientGapSeconds: 1.2, ...over });
    expect(renderServiceTable([own({}), own({})], 'd')).toContain('zero failed: met; gap ≤ downtime + 0.3 s: met; connections kept: met');
    // One leg out of three misses each target: the median would hide it, the mark does not.
    const missed = renderServiceTable([own({}), own({}), own({ failedRequests: 1, clientGapSeconds: 1.5, reconnects: 1 })], 'd');
    expect(missed).toContain('zero failed: NOT met; gap ≤ downtime + 0.3 s: NOT met; connections kept: NOT met');
  });
});
