/**
 * The campaign result format (results.json of `proxysim stress`, the input of `merge` and of the
 * HTML report). Histograms are HdrHistogram V2 compressed base64 and are merged by adding them.
 */
import type { Finding } from '../src/machine/findings.ts';

export const CAMPAIGN_FORMAT = 1;

export interface CaseKey {
  strategy: string;
  scenario: string;
  seed: number;
}

export interface CaseRecord extends CaseKey {
  cpus: number;
  duration_ns: number;
  verdict: 'PASS' | 'FAIL' | 'INTERRUPTED' | 'ERROR';
  /** first failing finding (violation, crash, soft lockup), if any */
  failure: Pick<Finding, 'kind' | 'id' | 'msg'> | null;
  artifact: string | null;
  /** a few headline counters of the run */
  stats: {
    switches: number;
    proxy_picks: number;
    donor_migrations: number;
    force_returns: number;
    deactivations: number;
    mutex_acquisitions: number;
    eintr: number;
    samples: number;
    stranded_observations: number;
    /** per task name, exec runtime ms (football's offense "ball" is read from here) */
    exec_ms: Record<string, number>;
  };
  /** encoded histograms by metric name */
  histograms: Record<string, string>;
  wall_ms: number;
}

export interface HostInfo {
  node: string;
  platform: string;
  arch: string;
  cpus: number;
  cpu_model: string;
  mem_gb: number;
  hostname: string;
}

export interface CampaignParams {
  strategies: string[];
  scenarios: string[];
  seeds: number;
  /** first seed; case seeds are first_seed .. first_seed + seeds - 1 */
  first_seed: number;
  duration_ns: number;
  cpus: number | null;
  /** [k, N] when this is one shard of a campaign */
  shard: [number, number] | null;
  chaos: { p: number; max_ns: number } | null;
}

export interface CampaignResult {
  proxysim_campaign: typeof CAMPAIGN_FORMAT;
  started: string;
  finished: string;
  host: HostInfo;
  params: CampaignParams;
  interrupted: boolean;
  cases: CaseRecord[];
  /** added over all seeds: histograms[strategy][scenario][metric] */
  histograms: Record<string, Record<string, Record<string, string>>>;
  /** the detection matrix of `hunt --json`, when the report includes one */
  matrix?: unknown;
}
