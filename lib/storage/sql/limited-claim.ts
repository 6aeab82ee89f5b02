/**
 * The candidates of the limited claim, shared by both backends' hot paths: the due Pending runs of
 * one queue (parameter 2; parameter 3: now) of the limited job types this process runs (parameter 4:
 * their ids, as a JSON array on SQLite, a text[] on PostgreSQL), each with its definition's limits (cl,
 * rl), the Running runs of its (job, concurrency key) (busy), the runs of its (job, rate key) started
 * since `since` (recent; parameter 1 is the now `since` is computed from), and its rank among the
 * candidates of each key in claim order (cn, rn). Candidates whose key is full already are left out.
 * Runs stored before their job got a limit have NULL keys: they count under the key ''.
 */
export function limitedCandidates(
  t: { runs: string; definitions: string },
  since: string,
  { idsIn = 'IN (SELECT value FROM json_each(?))', enabled = 'd.is_enabled = 1' } = {},
): string {
  const order = 'ORDER BY c.priority DESC, c.scheduled_at, c.created_at';
  return `SELECT c.*,
        ROW_NUMBER() OVER (PARTITION BY c.job_type_id, c.ck ${order}) AS cn,
        ROW_NUMBER() OVER (PARTITION BY c.job_type_id, c.rk ${order}) AS rn
      FROM (
        SELECT k.* FROM (
          SELECT r.id, r.job_type_id, r.priority, r.scheduled_at, r.created_at,
            COALESCE(r.concurrency_key, '') AS ck, COALESCE(r.rate_key, '') AS rk,
            d.concurrency_limit AS cl, d.rate_limit AS rl,
            CASE WHEN d.concurrency_limit IS NULL THEN 0 ELSE (
              SELECT COUNT(*) FROM ${t.runs} x
               WHERE x.status = 'running' AND x.concurrency_key IS NOT NULL
                 AND x.job_type_id = r.job_type_id AND x.concurrency_key = COALESCE(r.concurrency_key, '')) END AS busy,
            CASE WHEN d.rate_limit IS NULL THEN 0 ELSE (
              SELECT COUNT(*) FROM ${t.runs} x
               WHERE x.rate_key IS NOT NULL AND x.job_type_id = r.job_type_id AND x.rate_key = COALESCE(r.rate_key, '')
                 AND x.started_at > ${since}) END AS recent
          FROM ${t.runs} r JOIN ${t.definitions} d ON d.job_type_id = r.job_type_id
          WHERE r.status = 'pending' AND r.queue = ? AND r.scheduled_at <= ? AND ${enabled}
            AND (d.concurrency_limit IS NOT NULL OR d.rate_limit IS NOT NULL)
            AND r.job_type_id ${idsIn}) AS k
        WHERE (k.cl IS NULL OR k.busy < k.cl) AND (k.rl IS NULL OR k.recent < k.rl)) AS c`;
}
