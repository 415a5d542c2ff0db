import type pg from 'pg';
import { compareVersions } from '../core/versions.js';
import type { RegisteredModel } from '../contract/http/alerts.js';

/** The model versions inference has registered: what the API lists and may roll out. */
export class ModelRepository {
  constructor(private readonly pool: pg.Pool) {}

  /** Every registered version, by name, then version (semver order). */
  async list(): Promise<RegisteredModel[]> {
    const r = await this.pool.query<RegisteredModel>('SELECT name, version, card FROM model_versions');
    return r.rows.sort((a, b) => a.name.localeCompare(b.name) || compareVersions(a.version, b.version));
  }

  async versions(name: string): Promise<string[]> {
    return (await this.list()).filter((m) => m.name === name).map((m) => m.version);
  }
}
