import { beforeAll, it } from 'vitest';
import { call, uploadGrid } from '../helpers';
import type { ImageRecord } from '../../src/storage/images-db';
let records: Map<string, ImageRecord>;
const LABELS = ['12 MP PNG', '12 MP WebP (lossless)', '12 MP AVIF', '24 MP progressive JPEG', '48 MP JPEG', '99.6 MP JPEG', '4 MP 16-bit PNG', '3 MP alpha PNG'];
beforeAll(async () => { records = await uploadGrid(LABELS); }, 300_000);
it('lists first answers', async () => {
  const lines: string[] = [];
  for (const label of LABELS) {
    const rec = records.get(label)!;
    for (const t of ['f=png', 'f=jpeg', 'f=webp', 'f=avif', 'w=4000,f=png', 'w=3000,f=png', 'w=3000,f=jpeg', 'w=3000,f=webp','w=2400,f=avif', 'w=2000,f=png']) {
      const r = await call(`/img/${rec.id}/${t}`, { headers: { Accept: 'image/avif,image/webp,*/*' } });
      const body = new Uint8Array(await r.arrayBuffer());
      lines.push(`${label} ${t}: ${r.status} ${r.headers.get('Content-Type')} ${r.headers.get('X-Stand-In') ?? ''} ${r.headers.get('Server-Timing') ?? ''} ${r.status >= 400 ? new TextDecoder().decode(body).slice(0, 120) : ''}`);
    }
  }
  console.log(lines.join('\n'));
}, 900_000);
