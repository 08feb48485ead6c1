/**
 * The result formats: types and the format number, no logic, so that every layer may import them.
 *   - the campaign result (results.json of `proxysim stress`, the input of `merge` and of the HTML
 *     report). Histograms are HdrHistogram V2 compressed base64 and are merged by adding them.
 *   - the detection matrix of `proxysim hunt` (printed by `hunt --json`, shown by the HTML report).
 */
export const CAMPAIGN_FORMAT = 1;

export interface CaseKey {
  strategy: string;
  scenario: string;
  seed: number;
}

/** A run's first failing finding as recorded: its kind, id and message (src/machine/findings.ts's
 *  Finding extends it with where it was seen). 'deadlock' (id DEADLOCK) is the workload's own
 *  recursive or circular locking: the scenario's problem, not a violation of the design. */
export interface CaseFailure {
  kind: 'violation' | 'warn' | 'crash' | 'softlockup' | 'deadlock';
  id: string;
  msg: string;
}

export interface CaseRecord extends CaseKey {
  cpus: number;
  duration_ns: number;
  verdict: 'PASS' | 'FAIL' | 'INTERRUPTED' | 'ERROR';
  /** first failing finding (violation, crash, soft lockup), if any */
  failure: CaseFailure | null;
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

/** One row of the detection matrix: a (bug, design, scenario) or a (design, scenario) run k times. */
export interface HuntCase {
  /** bug: a planted bug, must be detected; clean: a correct design, must stay clean;
   *  sketch: a known-broken design, its violations are findings about the design */
  kind: 'bug' | 'clean' | 'sketch';
  bug: string | null;
  design: string;
  scenario: string;
  runs: number;
  detected: number;
  /** the invariants expected to catch the bug, '/'-separated */
  expected: string | null;
  fired: Record<string, number>;
  /** arena ms from start to the first violation, per detecting run */
  detect_ms: number[];
  median_ms: number | null;
  artifacts: string[];
  ok: boolean;
}

/** The detection matrix (`hunt --json`). */
export interface HuntResult {
  /** per run, ns */
  budget_ns: number;
  /** runs per case */
  runs: number;
  /** first seed; the runs of a case use seed .. seed + runs - 1 */
  seed: number;
  /** every case ok */
  pass: boolean;
  interrupted: boolean;
  results: HuntCase[];
}
