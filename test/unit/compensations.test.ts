import { Compensations } from '../../workflows/compensations';

const describe_ = (err: unknown) => (err as Error).message;

describe('compensations', () => {
  it('undoes in reverse order of the steps', async () => {
    const ran: string[] = [];
    const c = new Compensations();
    for (const step of ['cleanupTarget', 'resumeSource', 'stopTargetContainer']) {
      c.push(step, () => Promise.resolve(ran.push(step)), { essential: false });
    }
    const result = await c.unwind(describe_);
    expect(ran).toEqual(['stopTargetContainer', 'resumeSource', 'cleanupTarget']);
    expect(result.essentialFailed).toBe(false);
    expect(result.steps.map((s) => s.ok)).toEqual([true, true, true]);
  });

  it('stops before resuming the source when stopping the target copy failed', async () => {
    const ran: string[] = [];
    const c = new Compensations();
    c.push('cleanupTarget', () => Promise.resolve(ran.push('cleanupTarget')), { essential: false });
    c.push('resumeSource', () => Promise.resolve(ran.push('resumeSource')), { essential: true });
    c.push('stopTargetContainer', () => Promise.reject(new Error('runc delete failed')), { essential: true, haltOnFailure: true });
    const result = await c.unwind(describe_);
    expect(ran).toEqual([]);
    expect(result.essentialFailed).toBe(true);
    expect(result.steps).toEqual([{ step: 'stopTargetContainer', ok: false, detail: 'runc delete failed' }]);
  });

  it('carries on past a failed cleanup and reports it without failing the rollback', async () => {
    const c = new Compensations();
    c.push('cleanupTarget', () => Promise.reject(new Error('disk busy')), { essential: false });
    c.push('resumeSource', () => Promise.resolve({ action: 'resumed' }), { essential: true });
    const result = await c.unwind(describe_);
    expect(result.essentialFailed).toBe(false);
    expect(result.steps).toEqual([
      { step: 'resumeSource', ok: true, detail: 'resumed' },
      { step: 'cleanupTarget', ok: false, detail: 'disk busy' },
    ]);
  });

  it('has nothing to undo after clear()', async () => {
    const c = new Compensations();
    c.push('resumeSource', () => Promise.reject(new Error('must not run')), { essential: true });
    c.clear();
    expect((await c.unwind(describe_)).steps).toEqual([]);
  });
});
