/**
 * `/v1/jobs`: bulk jobs (create with an optional `Idempotency-Key`, list, progress, items,
 * cancel). Jobs belong to the API key's owner; another owner's job is a 404. Thin: the work
 * happens in jobs/ (request, lifecycle, progress).
 */
import { JOBS_BODY_MAX_BYTES } from '../config';
import { Hono } from 'hono';
import type { AppEnv } from '../env';
import { badRequest, notFound } from '../errors';
import { limitBody, readJson } from '../http/body';
import { decodeSeqCursor, nextCursor, pageRequest, parseLimit } from '../http/pagination';
import { ID_PATTERN } from '../ids';
import { cancelJob, createJob } from '../jobs/lifecycle';
import { jobView } from '../jobs/progress';
import { checkIdempotencyKey, parseJobRequest } from '../jobs/request';
import { requireScope } from '../security/auth';
import { getJob, listItems, listJobs, TERMINAL, type JobStatus } from '../storage/jobs-db';

const STATUSES: readonly JobStatus[] = ['queued', 'running', ...TERMINAL];

const SHAPE = 'Send JSON: { "images": [ids] | { "all": true }, "variants": [...] }.';

/** Reads the job for the path's id, or 404 (also for another owner's job). */
async function ownedJob(db: D1Database, owner: string, id: string) {
  const job = ID_PATTERN.test(id) ? await getJob(db, owner, id) : null;
  if (!job) throw notFound(`No job ${id}.`);
  return job;
}

/** Routes under /v1/jobs. */
export const jobsRoutes = new Hono<AppEnv>()
  .post('/', requireScope('upload'), limitBody(JOBS_BODY_MAX_BYTES), async (c) => {
    const idempotencyKey = checkIdempotencyKey(c.req.header('Idempotency-Key'));
    const body = await readJson(c, SHAPE);
    const owner = c.var.principal.owner;
    const req = await parseJobRequest(
      c.env.DB,
      c.var.config,
      c.env.WEBHOOK_SECRET,
      body,
      owner,
      c.env.SOURCES,
    );
    const { job, created } = await createJob(c.env, c.var.principal.owner, req, idempotencyKey);
    const view = await jobView(c.env.DB, job, new URL(c.req.url).origin);
    return c.json(view, created ? 201 : 200, {
      Location: view.urls.self,
      ...(idempotencyKey ? { 'Idempotent-Replayed': String(!created) } : {}),
    });
  })
  .get('/', requireScope('read'), async (c) => {
    const { limit, after } = pageRequest((n) => c.req.query(n), 100, 20);
    const { records, more } = await listJobs(c.env.DB, c.var.principal.owner, limit, after);
    const origin = new URL(c.req.url).origin;
    return c.json({
      jobs: await Promise.all(records.map((j) => jobView(c.env.DB, j, origin))),
      next_cursor: nextCursor(records, more),
    });
  })
  .get('/:id', requireScope('read'), async (c) => {
    const job = await ownedJob(c.env.DB, c.var.principal.owner, c.req.param('id'));
    return c.json(await jobView(c.env.DB, job, new URL(c.req.url).origin), 200, {
      'Cache-Control': 'no-store',
    });
  })
  .get('/:id/items', requireScope('read'), async (c) => {
    const job = await ownedJob(c.env.DB, c.var.principal.owner, c.req.param('id'));
    const status = c.req.query('status');
    if (status !== undefined && !STATUSES.includes(status as JobStatus))
      throw badRequest(`status must be one of ${STATUSES.join(', ')}.`, { option: 'status' });
    const limit = parseLimit(c.req.query('limit'), 1000, 100);
    const after = decodeSeqCursor(c.req.query('cursor'));
    const { records, more } = await listItems(
      c.env.DB,
      job.id,
      status as JobStatus | undefined,
      limit,
      after,
    );
    const last = records.at(-1);
    return c.json({
      items: records.map((i) => ({
        image_id: i.imageId,
        spec: i.spec,
        status: i.status,
        attempts: i.attempts,
        last_error: i.lastError,
        updated_at: new Date(i.updatedAt).toISOString(),
      })),
      next_cursor: more && last ? String(last.seq) : null,
    });
  })
  .post('/:id/cancel', requireScope('upload'), async (c) => {
    const id = c.req.param('id');
    await ownedJob(c.env.DB, c.var.principal.owner, id);
    const job = await cancelJob(c.env, c.var.principal.owner, id);
    return c.json(await jobView(c.env.DB, job, new URL(c.req.url).origin));
  });
