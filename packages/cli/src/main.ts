/**
 * `image-edge`: the command line for an image-edge service. Commands: upload, jobs, sign,
 * url, presets, images. Settings: see ./config.ts; exit codes: see ./errors.ts.
 */
import cliProgress from 'cli-progress';
import { Command, CommanderError } from 'commander';
import {
  ImageEdge,
  signUrl,
  TERMINAL_STATUSES,
  type ImageInfo,
  type Job,
} from '@image-edge/client';
import { loadConfig, type Config, type GlobalFlags } from './config';
import { CliError, describeError, EXIT } from './errors';
import { formatBytes, table } from './format';
import { defaultStatePath, serviceKey, UploadState } from './state';
import { collectFiles, runUpload, summaryTable } from './upload';

/** Writes a result: JSON with `--json`, else the human text. */
function print(json: boolean, value: unknown, human: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
}

/** A positive integer option value. @throws CliError (usage) */
function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) throw new CliError(`${value} is not a positive integer.`, 2);
  return n;
}

/** Builds the program (exported for tests that call it in-process). */
export function buildProgram(): Command {
  const program = new Command('image-edge')
    .description('Upload, transform and manage images on an image-edge service.')
    .version('0.1.0')
    .option('--url <url>', 'service URL (env IMAGE_EDGE_URL)')
    .option('--api-key <key>', 'API key (env IMAGE_EDGE_API_KEY)')
    .option('--config <file>', 'JSON config file (env IMAGE_EDGE_CONFIG)')
    .option('--json', 'machine-readable output on stdout')
    .showHelpAfterError()
    .exitOverride();

  const globals = () => program.opts<GlobalFlags & { json?: boolean }>();
  const setup = (needKey = true): { config: Config; client: ImageEdge; json: boolean } => {
    const g = globals();
    const config = loadConfig(g, needKey);
    const client = new ImageEdge({
      baseUrl: config.url,
      apiKey: config.apiKey,
      signingKey: config.signingKeys[0],
    });
    return { config, client, json: g.json === true };
  };

  program
    .command('upload')
    .description('upload image files, or every image below directories; skips known contents')
    .argument('<paths...>', 'directories and/or files')
    .option('-c, --concurrency <n>', 'uploads in flight', positiveInt, 4)
    .option('--state <file>', 'state file of uploaded contents', defaultStatePath())
    .option('--no-state', 'keep no state (the service still deduplicates)')
    .option('--no-progress', 'no progress bar')
    .action(
      async (
        paths: string[],
        opts: { concurrency: number; state: string | false; progress: boolean },
      ) => {
        const { config, client, json } = setup();
        const files = await collectFiles(paths);
        const state = new UploadState(
          opts.state === false ? null : opts.state,
          serviceKey(config.url, config.apiKey ?? ''),
        );
        const abort = new AbortController();
        const onInt = () => abort.abort(new CliError('Interrupted.', EXIT.interrupted));
        process.once('SIGINT', onInt);
        const { results, seconds } = await runUpload(files, {
          client,
          state,
          concurrency: opts.concurrency,
          progress: opts.progress,
          signal: abort.signal,
        }).finally(() => process.off('SIGINT', onInt));
        const count = (s: string) => results.filter((r) => r.status === s).length;
        print(
          json,
          {
            files: results,
            summary: {
              files: files.length,
              uploaded: count('uploaded'),
              exists: count('exists'),
              skipped: count('skipped'),
              failed: count('failed'),
              not_started: files.length - results.length,
              seconds: Math.round(seconds * 1000) / 1000,
            },
          },
          () => summaryTable(results, seconds),
        );
        if (abort.signal.aborted) throw abort.signal.reason;
        if (count('failed') > 0) process.exitCode = EXIT.partial;
      },
    );

  const jobs = program.command('jobs').description('bulk jobs: images × variants');
  const watch = async (client: ImageEdge, id: string, intervalMs: number, json: boolean) => {
    const bar = json
      ? null
      : new cliProgress.SingleBar({
          format:
            'job {id} [{bar}] {percentage}% | {value}/{total} items | {rate} | ETA {eta} | {status}',
          barsize: 24,
          stream: process.stderr,
          hideCursor: true,
          noTTYOutput: true,
          notTTYSchedule: 1000,
        });
    let last: Job | undefined;
    for await (const job of client.watchJob(id, { intervalMs })) {
      last = job;
      const p = job.progress;
      const payload = {
        id: job.id,
        status: job.status,
        rate: p.rate_per_second === null ? '– items/s' : `${p.rate_per_second} items/s`,
        eta: p.eta_seconds === null ? '–' : `${p.eta_seconds}s`,
      };
      if (bar && !bar.isActive) bar.start(Math.max(p.total, 1), p.done, payload);
      bar?.setTotal(Math.max(p.total, 1));
      bar?.update(p.total === 0 && TERMINAL_STATUSES.includes(job.status) ? 1 : p.done, payload);
    }
    bar?.stop();
    return last as Job;
  };
  const jobSummary = (job: Job) =>
    table(
      ['job', 'status', 'items', 'succeeded', 'failed', 'cancelled', 'percent'],
      [
        [
          job.id,
          job.status,
          job.progress.total,
          job.progress.succeeded,
          job.progress.failed,
          job.progress.cancelled,
          `${job.progress.percent}%`,
        ],
      ],
    );
  jobs
    .command('create')
    .description('create a job (idempotent with --idempotency-key)')
    .requiredOption('-v, --variant <variants...>', 'preset names or transform strings')
    .option('-i, --image <ids...>', 'image ids')
    .option('--all', 'all of your images')
    .option('--created-after <date>', 'with --all: only images created after this ISO date')
    .option('--idempotency-key <key>', 'repeat-safe key')
    .option('--callback-url <url>', 'webhook called when the job ends')
    .option('-w, --watch', 'follow the job with a progress bar until it ends')
    .option('--interval <ms>', 'poll interval with --watch', positiveInt, 1000)
    .action(
      async (opts: {
        variant: string[];
        image?: string[];
        all?: boolean;
        createdAfter?: string;
        idempotencyKey?: string;
        callbackUrl?: string;
        watch?: boolean;
        interval: number;
      }) => {
        if (!opts.image === !opts.all)
          throw new CliError('Pass either --image <ids...> or --all.', EXIT.usage);
        const { client, json } = setup();
        let job = await client.createJob(
          {
            images: opts.image ?? {
              all: true,
              ...(opts.createdAfter && { created_after: opts.createdAfter }),
            },
            variants: opts.variant,
            ...(opts.callbackUrl && { callback_url: opts.callbackUrl }),
          },
          { idempotencyKey: opts.idempotencyKey },
        );
        if (opts.watch) job = await watch(client, job.id, opts.interval, json);
        print(json, job, () => (opts.watch ? jobSummary(job) : `${job.id}\n${jobSummary(job)}`));
        if (opts.watch && job.status !== 'succeeded') process.exitCode = EXIT.partial;
      },
    );
  jobs
    .command('get')
    .description("a job's state")
    .argument('<id>')
    .option('-w, --watch', 'follow it until it ends')
    .option('--interval <ms>', 'poll interval with --watch', positiveInt, 1000)
    .action(async (id: string, opts: { watch?: boolean; interval: number }) => {
      const { client, json } = setup();
      const job = opts.watch
        ? await watch(client, id, opts.interval, json)
        : await client.getJob(id);
      print(json, job, () => jobSummary(job));
      if (opts.watch && job.status !== 'succeeded') process.exitCode = EXIT.partial;
    });
  jobs
    .command('ls')
    .description('your jobs, newest first')
    .option('--limit <n>', 'how many', positiveInt, 20)
    .action(async (opts: { limit: number }) => {
      const { client, json } = setup();
      const page = await client.listJobs({ limit: Math.min(opts.limit, 100) });
      print(json, page.items, () =>
        table(
          ['job', 'status', 'items', 'percent', 'created'],
          page.items.map((j) => [
            j.id,
            j.status,
            j.progress.total,
            `${j.progress.percent}%`,
            j.created_at,
          ]),
        ),
      );
    });
  jobs
    .command('cancel')
    .argument('<id>')
    .description('cancel a job')
    .action(async (id: string) => {
      const { client, json } = setup();
      const job = await client.cancelJob(id);
      print(json, job, () => jobSummary(job));
    });

  program
    .command('sign')
    .description('print a signed URL for a delivery path or URL (keys: IMAGE_EDGE_SIGNING_KEYS)')
    .argument('<path>', 'e.g. /img/{id}/w=800,f=auto')
    .option('--expires-in <seconds>', 'valid for this long', positiveInt)
    .option('--exp <unix>', 'valid until this unix time (seconds)', positiveInt)
    .option('--kid <kid>', 'sign with this key id (default: the first key)')
    .action(async (target: string, opts: { expiresIn?: number; exp?: number; kid?: string }) => {
      const { config, json } = setup(false);
      if (config.signingKeys.length === 0)
        throw new CliError(
          'No signing keys: set IMAGE_EDGE_SIGNING_KEYS to [{"kid":"…","key":"…"}] or "signingKeys" in the config file.',
          EXIT.config,
        );
      const key =
        opts.kid === undefined
          ? config.signingKeys[0]
          : config.signingKeys.find((k) => k.kid === opts.kid);
      if (!key) throw new CliError(`No signing key with kid ${opts.kid}.`, EXIT.config);
      const expiry =
        opts.exp !== undefined
          ? { exp: opts.exp }
          : opts.expiresIn !== undefined
            ? { expiresIn: opts.expiresIn }
            : undefined;
      const absolute = new URL(target, config.url).toString();
      const url = await signUrl(absolute, key, expiry);
      print(json, { url }, () => url);
    });

  program
    .command('url')
    .description('print the canonical delivery URL of an image with options or a preset')
    .argument('<id>')
    .argument('[variant]', 'options (w=800,f=auto) or a preset name', 'original')
    .option('--sign', 'sign it (see sign)')
    .option('--expires-in <seconds>', 'with --sign', positiveInt)
    .action(async (id: string, variant: string, opts: { sign?: boolean; expiresIn?: number }) => {
      const { client, json } = setup(false);
      const expiry = opts.expiresIn ? { expiresIn: opts.expiresIn } : undefined;
      const url = opts.sign ? await client.signed(id, variant, expiry) : client.url(id, variant);
      print(json, { url }, () => url);
    });

  const presets = program.command('presets').description('named transforms');
  presets
    .command('list')
    .alias('ls')
    .description('built-in and stored presets')
    .action(async () => {
      const { client, json } = setup();
      const list = await client.listPresets();
      print(json, list, () =>
        table(
          ['name', 'options', 'public', 'eager', 'built-in'],
          list.map((p) => [
            p.name,
            p.options,
            p.public ? 'yes' : '',
            p.eager ? 'yes' : '',
            p.builtin ? 'yes' : '',
          ]),
        ),
      );
    });
  presets
    .command('set')
    .description('create or replace a preset (admin scope)')
    .argument('<name>')
    .argument('<options>', 'transform string, e.g. w=640,h=360,fit=cover,f=auto')
    .option('--public', 'deliverable without a signature when signing is on')
    .option('--eager', 'generated right after each upload')
    .action(async (name: string, options: string, opts: { public?: boolean; eager?: boolean }) => {
      const { client, json } = setup();
      const p = await client.setPreset(name, {
        options,
        public: opts.public === true,
        eager: opts.eager === true,
      });
      print(json, p, () => `${p.name} = ${p.options}`);
    });
  presets
    .command('rm')
    .description('delete a stored preset (admin scope)')
    .argument('<name>')
    .action(async (name: string) => {
      const { client, json } = setup();
      await client.deletePreset(name);
      print(json, { deleted: name }, () => `deleted ${name}`);
    });

  const images = program.command('images').description('your originals');
  images
    .command('ls')
    .description('your images, newest first')
    .option('--limit <n>', 'how many (all with --all)', positiveInt, 50)
    .option('--all', 'every image')
    .action(async (opts: { limit: number; all?: boolean }) => {
      const { client, json } = setup();
      const list: ImageInfo[] = [];
      for await (const img of client.images(Math.min(opts.limit, 100))) {
        list.push(img);
        if (!opts.all && list.length >= opts.limit) break;
      }
      print(json, list, () =>
        table(
          ['id', 'format', 'size', 'bytes', 'created'],
          list.map((i) => [
            i.id,
            i.format,
            `${i.width}×${i.height}`,
            formatBytes(i.bytes),
            i.created_at,
          ]),
        ),
      );
    });
  images
    .command('info')
    .argument('<id>')
    .description("an image's facts")
    .action(async (id: string) => {
      const { client, json } = setup();
      const img = await client.getImage(id);
      print(json, img, () => JSON.stringify(img, null, 2));
    });
  images
    .command('rm')
    .argument('<ids...>')
    .description('delete images (their variants follow through the queue)')
    .action(async (ids: string[]) => {
      const { client, json } = setup();
      const done: string[] = [];
      for (const id of ids) {
        await client.deleteImage(id);
        done.push(id);
      }
      print(json, { deleted: done }, () => done.map((id) => `deleted ${id}`).join('\n'));
    });

  return program;
}

/** Runs the CLI with `argv` (process.argv form); resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage; // help/version, or a usage error
    const { code, message } = describeError(err);
    process.stderr.write(`image-edge: ${message}\n`);
    return code;
  }
}
