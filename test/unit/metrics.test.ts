import { describe, expect, it } from 'vitest';
import { Metrics } from '../../core/metrics.js';

describe('metrics', () => {
  it("shows the process's own metrics with each platform's, collected once however many platforms run", async () => {
    const a = new Metrics(true);
    const b = new Metrics(true);
    a.counter('a_total', 'a').inc(2);
    b.counter('b_total', 'b').inc();
    const [ta, tb] = [await a.text(), await b.text()];
    expect(ta).toContain('a_total 2');
    expect(ta).not.toContain('b_total');
    expect(tb).toContain('b_total 1');
    for (const text of [ta, tb]) expect(text.match(/^# TYPE process_cpu_user_seconds_total/gm)).toHaveLength(1);
    // Without: the platform's metrics alone (tools and benchmarks).
    expect(await new Metrics().text()).not.toContain('process_cpu_user_seconds_total');
  });
});
