/**
 * Real recordings for the noise-window model: audio that Debian packages ship (game soundtracks of
 * many genres, recorded speech, sound effects), grouped into labelled sources. The packages are
 * located with dpkg and installed with apt-get when missing (as root; otherwise the error names the
 * command to run). Only the training scripts need them: the platform, its tests and CI use the
 * committed model and card.
 *
 * Reserved, never read here (independent validation elsewhere): drascula-music, hyperrogue-music,
 * fretsonfire-songs-*, hedgewars-data, megaglest-data, lincity-ng-data, gcompris-qt-data,
 * fillets-ng-data*, tuxpaint-stamps-default, klettres-data, ktuberling-data, openttd-opensfx,
 * minetest-data, 7kaa-data. `locateSources` refuses them.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import type { NoiseClass } from '../../simulator/spectra.js';

export const RESERVED_PACKAGES: readonly string[] = [
  'drascula-music', 'hyperrogue-music', 'fretsonfire-songs-muldjord', 'fretsonfire-songs-sectoid', 'hedgewars-data', 'megaglest-data',
  'lincity-ng-data', 'gcompris-qt-data', 'fillets-ng-data', 'fillets-ng-data-cs', 'fillets-ng-data-nl', 'tuxpaint-stamps-default',
  'klettres-data', 'ktuberling-data', 'openttd-opensfx', 'minetest-data', '7kaa-data',
];

/** A Debian package the data comes from, with the licence of the files used (from its copyright file). */
export interface SourcePackage {
  name: string;
  licence: string;
}

export const PACKAGES: readonly SourcePackage[] = [
  { name: 'wesnoth-1.16-music', licence: 'GPL-2+' },
  { name: 'wesnoth-1.16-data', licence: 'GPL-2+' },
  { name: 'freecol', licence: 'GPL-2+ (music: CC-BY-SA / GPL per copyright)' },
  { name: 'asc-music', licence: 'GPL-2+' },
  { name: 'extremetuxracer-data', licence: 'GPL-2+' },
  { name: 'freedroidrpg-data', licence: 'GPL-2+' },
  { name: 'naev-data', licence: 'GPL-3+ / CC-BY-SA-3.0 / CC0 per file' },
  { name: 'xmoto-data', licence: 'GPL-2+' },
  { name: 'widelands-data', licence: 'GPL-2+' },
  { name: 'supertux-data', licence: 'GPL-3+ / CC-BY-SA per file' },
  { name: 'tuxtype-data', licence: 'GPL-3+' },
  { name: 'asterisk-core-sounds-en-wav', licence: 'CC-BY-SA-3.0' },
  { name: 'asterisk-core-sounds-fr-wav', licence: 'CC-BY-SA-3.0' },
  { name: 'asterisk-core-sounds-es-wav', licence: 'CC-BY-SA-3.0' },
  { name: 'btanks-data', licence: 'GPL-2+' },
  { name: 'gl-117-data', licence: 'GPL-2+' },
  { name: 'crrcsim-data', licence: 'GPL-2+' },
  { name: 'opencity-data', licence: 'GPL-2+' },
  { name: 'asterisk-core-sounds-it-wav', licence: 'CC-BY-SA-3.0' },
  { name: 'asterisk-moh-opsound-wav', licence: 'CC-BY-SA-3.0' },
  { name: 'openclonk-data', licence: 'CC-BY-3.0 / CC0 (game content), ISC (engine)' },
  { name: 'colobot-common-sounds', licence: 'GPL-3+' },
  { name: 'simutrans-pak64', licence: 'Artistic-1.0' },
  { name: 'freeciv-data', licence: 'GPL-2+' },
];

/**
 * How a source's files become a scene: `track` — a recording played as it is (a stretch of a song);
 * `clips` — short recordings placed one after another with pauses (speech turns, hammer blows);
 * `talk` — 1-6 people talking at once from speech clips (a conversation, a group, a crowd);
 * `loop` — one recording repeated under the whole scene (an engine, rain, a helicopter);
 * `passby` — a looped vehicle recording under a pass-by envelope.
 */
export type SceneKind = 'track' | 'clips' | 'talk' | 'loop' | 'passby';

export interface SourceGroup {
  /** Stable id used for the split and the per-source report. */
  id: string;
  package: string;
  /** Files of the package that belong to the source (matched against the full path). */
  match: RegExp;
  cls: NoiseClass;
  kind: SceneKind;
  what: string;
  /** SoX effects applied after decoding (e.g. `pitch 500` for children's voices from adult speech). */
  effects?: readonly string[];
  /** Force every file of a group with few files into one split (else files are split by hash). */
  split?: 'train' | 'test';
}

const MUSIC = /\.(ogg|wav|flac|mp3)$/i;
export const GROUPS: readonly SourceGroup[] = [
  { id: 'wesnoth-music', package: 'wesnoth-1.16-music', match: MUSIC, cls: 'music', kind: 'track', what: 'orchestral, celtic and folk soundtrack (strings, brass, harp, flute, choir, hand drums)' },
  { id: 'freecol-music', package: 'freecol', match: /\/music\/.*\.ogg$/, cls: 'music', kind: 'track', what: 'folk and classical (fiddle, accordion, music box, small orchestra)' },
  { id: 'asc-music', package: 'asc-music', match: MUSIC, cls: 'music', kind: 'track', what: 'orchestral and rock' },
  { id: 'etr-music', package: 'extremetuxracer-data', match: /\/music\/.*\.ogg$/, cls: 'music', kind: 'track', what: 'pop, rock and jazz' },
  { id: 'freedroid-music', package: 'freedroidrpg-data', match: /\/music\/.*\.ogg$/, cls: 'music', kind: 'track', what: 'ambient, electronic and orchestral' },
  { id: 'naev-music', package: 'naev-data', match: /\/music\/.*\.ogg$/, cls: 'music', kind: 'track', what: 'ambient, orchestral, electronic and piano' },
  { id: 'xmoto-music', package: 'xmoto-data', match: /\/Musics\/.*\.ogg$/, cls: 'music', kind: 'track', what: 'rock, funk and electronic' },
  { id: 'widelands-music', package: 'widelands-data', match: /\/music\/.*\.ogg$/, cls: 'music', kind: 'track', what: 'orchestral, medieval, world and acoustic guitar' },
  { id: 'supertux-music', package: 'supertux-data', match: /\/music\/.*\.ogg$/, cls: 'music', kind: 'track', what: 'chiptune, pop, orchestral and ambient' },
  { id: 'moh-music', package: 'asterisk-moh-opsound-wav', match: /\/moh\/.*\.wav$/, cls: 'music', kind: 'track', what: 'lounge, acoustic guitar and jazz (music on hold)' },
  { id: 'openclonk-music', package: 'openclonk-data', match: /Music\.ocg\/.*\.ogg$/, cls: 'music', kind: 'track', what: 'orchestral, celtic, ambient and acoustic' },
  { id: 'colobot-music', package: 'colobot-common-sounds', match: /\/music\/.*\.ogg$/, cls: 'music', kind: 'track', what: 'orchestral, ambient, piano and electronic' },
  { id: 'tuxtype-music', package: 'tuxtype-data', match: /\/(amidst_the_raindrops|chiptune2|tuxi)\.ogg$/, cls: 'music', kind: 'track', what: 'piano and chiptune' },

  { id: 'speech-en', package: 'asterisk-core-sounds-en-wav', match: /\.wav$/, cls: 'voices', kind: 'talk', what: 'recorded English speech (one to six talkers at once)' },
  { id: 'speech-fr', package: 'asterisk-core-sounds-fr-wav', match: /\.wav$/, cls: 'voices', kind: 'talk', what: 'recorded French speech (one to six talkers at once)' },
  { id: 'speech-es', package: 'asterisk-core-sounds-es-wav', match: /\.wav$/, cls: 'voices', kind: 'talk', what: 'recorded Spanish speech (one to six talkers at once)' },
  { id: 'speech-it', package: 'asterisk-core-sounds-it-wav', match: /\.wav$/, cls: 'voices', kind: 'talk', what: 'recorded Italian speech (one to six talkers at once)' },
  { id: 'children-es', package: 'asterisk-core-sounds-es-wav', match: /\/digits\/.*\.wav$/, cls: 'voices', kind: 'talk', effects: ['pitch', '600', 'tempo', '1.1'], what: "children's voices approximated by recorded Spanish speech raised 6 semitones" },
  { id: 'game-voices', package: 'freedroidrpg-data', match: /tux_ingame_comments\/.*\.ogg$/, cls: 'voices', kind: 'clips', what: 'a voice actor speaking short lines' },
  { id: 'laughter', package: 'btanks-data', match: /laugh0[12]\.ogg$/, cls: 'voices', kind: 'clips', what: 'laughter', split: 'test' },
  { id: 'cheering', package: 'tuxtype-data', match: /sounds\/cheer\.wav$/, cls: 'voices', kind: 'clips', what: 'cheering', split: 'train' },

  { id: 'hammering', package: 'widelands-data', match: /sound\/(hammering|smiths)\/.*\.ogg$/, cls: 'construction', kind: 'clips', what: 'hammering and smithing' },
  { id: 'sawing', package: 'widelands-data', match: /sound\/(atlanteans\/saw|sawmill|woodcutting)\/.*\.ogg$/, cls: 'construction', kind: 'clips', what: 'hand and bench saws, sawmill, falling trees' },
  { id: 'construction-site', package: 'widelands-data', match: /sound\/create_construction_site\.ogg$/, cls: 'construction', kind: 'clips', what: 'construction site', split: 'test' },
  { id: 'building', package: 'freecol', match: /sound\/event\/building\.ogg$/, cls: 'construction', kind: 'clips', what: 'building work', split: 'train' },
  { id: 'power-saw', package: 'supertux-data', match: /sounds\/saw\.wav$/, cls: 'construction', kind: 'loop', what: 'power saw', split: 'test' },
  { id: 'earthworks', package: 'opencity-data', match: /sound\/(terrain|destroy)\.wav$/, cls: 'construction', kind: 'clips', what: 'earthworks and demolition', split: 'train' },
  { id: 'site-tools', package: 'simutrans-pak64', match: /sound\/(jackhammer|tree-cutting)\.wav$/, cls: 'construction', kind: 'clips', what: 'a jackhammer and a chainsaw felling trees', split: 'train' },
  { id: 'buzzsaw', package: 'simutrans-pak64', match: /sound\/buzzsaw\.wav$/, cls: 'construction', kind: 'loop', what: 'a circular saw', split: 'test' },
  { id: 'tracked-machine', package: 'freeciv-data', match: /stdsounds\/Tread\.ogg$/, cls: 'construction', kind: 'loop', what: 'a tracked machine (tank treads and engine)', split: 'train' },
  { id: 'machinery', package: 'widelands-data', match: /sound\/mill\/.*\.ogg$/, cls: 'construction', kind: 'loop', what: 'turning mill machinery and a loom' },

  { id: 'road-vehicles', package: 'btanks-data', match: /sounds\/engine-(car|vehicle|start)\.ogg$/, cls: 'traffic', kind: 'passby', what: 'car and heavy vehicle engines passing', split: 'train' },
  { id: 'city-road', package: 'opencity-data', match: /sound\/(road|wroum)\.wav$/, cls: 'traffic', kind: 'passby', what: 'road traffic', split: 'test' },
  { id: 'train', package: 'btanks-data', match: /sounds\/train\.ogg$/, cls: 'traffic', kind: 'passby', what: 'a train passing', split: 'test' },
  { id: 'helicopter', package: 'btanks-data', match: /sounds\/helicopter\.ogg$/, cls: 'traffic', kind: 'passby', what: 'a helicopter flying over', split: 'test' },
  { id: 'aircraft', package: 'gl-117-data', match: /sounds\/plane1\.wav$/, cls: 'traffic', kind: 'passby', what: 'a jet aircraft flying over', split: 'train' },
  { id: 'model-aircraft', package: 'crrcsim-data', match: /sounds\/(electric|fan|glider)\.wav$/, cls: 'traffic', kind: 'passby', what: 'propeller and ducted-fan aircraft engines' },
  { id: 'rail', package: 'simutrans-pak64', match: /sound\/(diesel|steam|crossing)\.wav$/, cls: 'traffic', kind: 'passby', what: 'diesel and steam trains, a level crossing', split: 'train' },
  { id: 'road-trucks', package: 'simutrans-pak64', match: /sound\/(bus|truck)\.wav$/, cls: 'traffic', kind: 'passby', what: 'a bus and a lorry passing' },
  { id: 'aircraft-prop', package: 'simutrans-pak64', match: /sound\/planelow\.wav$/, cls: 'traffic', kind: 'passby', what: 'a propeller aircraft flying low', split: 'train' },
  { id: 'aircraft-jet', package: 'simutrans-pak64', match: /sound\/comet-jet\.wav$/, cls: 'traffic', kind: 'passby', what: 'a jet airliner flying over', split: 'test' },
  { id: 'helicopter-hover', package: 'freeciv-data', match: /stdsounds\/THover\.ogg$/, cls: 'traffic', kind: 'passby', what: 'a helicopter hovering and flying over', split: 'train' },

  { id: 'thunder-rain', package: 'supertux-data', match: /sounds\/(thunder|rain)\.wav$/, cls: 'other', kind: 'clips', what: 'thunder and rain', split: 'test' },
  { id: 'thunder', package: 'gl-117-data', match: /sounds\/thunder1\.wav$/, cls: 'other', kind: 'clips', what: 'thunder', split: 'train' },
  { id: 'birds', package: 'widelands-data', match: /sound\/animals\/bird.*\.ogg$/, cls: 'other', kind: 'clips', what: 'birdsong' },
  { id: 'birds-ambient', package: 'wesnoth-1.16-data', match: /ambient\/birds\d\.ogg$/, cls: 'other', kind: 'loop', what: 'birdsong ambience', split: 'test' },
  { id: 'animals', package: 'widelands-data', match: /sound\/farm\/sheep.*\.ogg$/, cls: 'other', kind: 'clips', what: 'sheep', split: 'train' },
  { id: 'fire', package: 'wesnoth-1.16-data', match: /ambient\/campfire\.ogg$/, cls: 'other', kind: 'loop', what: 'a crackling fire', split: 'train' },
  { id: 'bells-horns', package: 'wesnoth-1.16-data', match: /(horn-signals\/horn-\d|sounds\/bell)\.(ogg|wav)$/, cls: 'other', kind: 'clips', what: 'horn signals and a bell' },
  { id: 'crickets', package: 'widelands-data', match: /sound\/animals\/crickets.*\.ogg$/, cls: 'other', kind: 'loop', what: 'crickets' },
  { id: 'seagulls', package: 'simutrans-pak64', match: /sound\/seagulls\.wav$/, cls: 'other', kind: 'loop', what: 'seagulls', split: 'train' },
  { id: 'horses', package: 'wesnoth-1.16-data', match: /sounds\/horse-(elf-)?canter\.wav$/, cls: 'other', kind: 'clips', what: 'horses cantering' },
  { id: 'blasts', package: 'btanks-data', match: /sounds\/building-explosion\d\.ogg$/, cls: 'other', kind: 'clips', what: 'blasts and rumbles (thunder-like)' },
  { id: 'fireworks', package: 'supertux-data', match: /sounds\/fireworks\.wav$/, cls: 'other', kind: 'clips', what: 'fireworks', split: 'train' },
  { id: 'boat-horn', package: 'simutrans-pak64', match: /sound\/boat-horn\.wav$/, cls: 'other', kind: 'clips', what: 'a ship horn', split: 'test' },
  { id: 'water', package: 'simutrans-pak64', match: /sound\/Water\.wav$/, cls: 'background', kind: 'loop', what: 'lapping water', split: 'train' },
  { id: 'fountain', package: 'freecol', match: /sound\/event\/fountain\.ogg$/, cls: 'background', kind: 'loop', what: 'a fountain', split: 'test' },
  { id: 'harbour', package: 'wesnoth-1.16-data', match: /ambient\/ship\.ogg$/, cls: 'background', kind: 'loop', what: 'water against a moored boat', split: 'train' },
  { id: 'nature-ambient', package: 'simutrans-pak64', match: /sound\/(forest|tropic|arctic|desert)\.wav$/, cls: 'background', kind: 'loop', what: 'wind and nature ambiences' },
  { id: 'waterfall', package: 'supertux-data', match: /sounds\/waterfall\.wav$/, cls: 'background', kind: 'loop', what: 'flowing water', split: 'test' },
];

export interface SourceFile {
  group: SourceGroup;
  path: string;
  split: 'train' | 'test';
}

export interface LocatedSources {
  files: SourceFile[];
  versions: Record<string, string>;
}

/** Version of an installed package, or null. */
function installedVersion(pkg: string): string | null {
  try {
    const out = execFileSync('dpkg-query', ['-W', '-f=${Status}\t${Version}', pkg], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const [status, version] = out.split('\t');
    return status?.endsWith('installed') && status.includes('ok installed') ? (version ?? null) : null;
  } catch {
    return null;
  }
}

/** The packages the real-audio data needs (the recordings, and SoX to decode them). */
export const NEEDED: readonly string[] = [...new Set(PACKAGES.map((p) => p.name)), 'sox', 'libsox-fmt-all'];

/** The needed packages that are not installed. */
export const missingPackages = (): string[] => NEEDED.filter((n) => installedVersion(n) === null);

/** Installs the missing packages (as root, unless `install` is false), or throws naming the command. */
export function ensurePackages(log: (msg: string) => void = () => {}, install = true): Record<string, string> {
  const names = NEEDED;
  const missing = missingPackages();
  if (missing.length > 0) {
    const command = `apt-get install -y --no-install-recommends ${missing.join(' ')}`;
    if (!install || process.getuid?.() !== 0) throw new Error(`the real-audio training data needs Debian packages that are not installed; run as root:\n  ${command}`);
    log(`installing ${missing.length} Debian packages for the real-audio data: ${missing.join(', ')}`);
    try {
      execFileSync('apt-get', ['install', '-y', '-o', 'DPkg::Lock::Timeout=600', '--no-install-recommends', ...missing], { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    } catch (err) {
      throw new Error(`could not install the Debian packages of the real-audio data (${(err as Error).message}); install them by hand:\n  ${command}`);
    }
  }
  const versions: Record<string, string> = {};
  for (const n of names) {
    const v = installedVersion(n);
    if (v === null) throw new Error(`Debian package ${n} is still not installed`);
    versions[n] = v;
  }
  return versions;
}

/** Deterministic split of a file: about 30 % of a group's files are held out. */
const hashSplit = (path: string): 'train' | 'test' => ((createHash('sha256').update(path).digest()[0] as number) % 10 < 3 ? 'test' : 'train');

/** Every file of every group, with its split (whole files: a recording is never in both). */
export function locateSources(log?: (msg: string) => void, install = true): LocatedSources {
  for (const p of PACKAGES) if (RESERVED_PACKAGES.includes(p.name)) throw new Error(`${p.name} is reserved for independent validation`);
  const versions = ensurePackages(log, install);
  const listings = new Map<string, string[]>();
  const files: SourceFile[] = [];
  for (const group of GROUPS) {
    let list = listings.get(group.package);
    if (!list) {
      list = execFileSync('dpkg', ['-L', group.package], { encoding: 'utf8', maxBuffer: 64 << 20 }).split('\n').filter((l) => l.startsWith('/usr/share/'));
      listings.set(group.package, list);
    }
    const matched = list.filter((p) => group.match.test(p)).sort();
    if (matched.length === 0) throw new Error(`no files of source ${group.id} in package ${group.package}`);
    for (const path of matched) files.push({ group, path, split: group.split ?? hashSplit(path) });
  }
  return { files, versions };
}
