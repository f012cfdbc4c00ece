import { TemplateProblem } from './errors.ts';
import { BUILTINS } from './go-builtins.ts';
import type { GoValue } from './go-values.ts';
import { SPRIG } from './sprig.ts';

/**
 * The functions a Gimlet template can call: Go's text/template builtins (go-builtins.ts) and the Sprig
 * functions Gimlet registers plus its sanitizeDNSName (sprig.ts; gimlet-io/gimlet pkg/dx/manifest.go at
 * gimlet-v1.0.0-beta.18: `sprig.GenericFuncMap()` + `sanitizeDNSName`). Sprig's argument order puts the
 * subject last, so in a pipeline the piped value is the subject (`{{ .TAG | trimPrefix "v" }}`).
 */

/** Go parameter types, as the template engine checks them before a call (exec.go evalArg/validateType). */
export type Param = 'string' | 'int' | 'float64' | 'bool' | 'any';

export interface GoFunction {
  params: Param[];
  variadic?: Param;
  /** An upper bound of the result's length, checked against the limits before `call` builds it. */
  size?: (args: GoValue[]) => number;
  call: (args: GoValue[]) => GoValue;
}

export { sanitizeDnsName } from './sprig.ts';

/**
 * Sprig functions Ferry refuses by design: their result depends on the clock, randomness, the process
 * environment or the network, so one artifact would not always render to the same commit.
 */
const NONDETERMINISTIC = new Set(
  'now date dateInZone date_in_zone dateModify date_modify mustDateModify must_date_modify ago duration durationRound htmlDate htmlDateInZone toDate mustToDate unixEpoch randAlphaNum randAlpha randAscii randNumeric randInt randBytes shuffle uuidv4 env expandenv getHostByName genPrivateKey genCA genCAWithKey genSelfSignedCert genSelfSignedCertWithKey genSignedCert genSignedCertWithKey buildCustomCert derivePassword bcrypt htpasswd encryptAES decryptAES'.split(
    ' ',
  ),
);

/** The rest of Sprig v3.3.0's GenericFuncMap: Gimlet has them, Ferry does not implement them (yet). */
const SPRIG_ELSEWHERE = new Set(
  'hello abbrevboth untitle trimall initials swapcase snakecase camelcase kebabcase wrap wrapWith plural sha512sum adler32sum float64 seq toDecimal splitn toStrings untilStep add1f addf subf divf mulf biggest maxf minf ceil floor round sortAlpha all any compact mustCompact fromJson mustFromJson toPrettyJson toRawJson mustToJson mustToPrettyJson mustToRawJson deepCopy mustDeepCopy typeOf typeIs typeIsLike kindOf kindIs deepEqual base dir clean ext isAbs osBase osClean osDir osExt osIsAbs b32enc b32dec tuple dict get set unset hasKey pluck keys pick omit merge mergeOverwrite mustMerge mustMergeOverwrite values append push mustAppend mustPush prepend mustPrepend mustFirst rest mustRest mustLast initial mustInitial reverse mustReverse uniq mustUniq without mustWithout has mustHas slice mustSlice concat dig chunk mustChunk semver semverCompare mustRegexFindAll mustRegexFind mustRegexReplaceAll mustRegexReplaceAllLiteral regexSplit mustRegexSplit regexQuoteMeta urlParse urlJoin call'.split(
    ' ',
  ),
);

/** Gimlet's FuncMap wins over the builtins: Go looks a template's own functions up first. */
export function lookupFunction(name: string): GoFunction | undefined {
  if (Object.hasOwn(SPRIG, name)) return SPRIG[name];
  if (Object.hasOwn(BUILTINS, name)) return BUILTINS[name];
  return undefined;
}

/** Called by the parser, as Go checks function names when it parses (`function "x" not defined`). */
export function checkFunctionName(name: string): void {
  if (lookupFunction(name)) return;
  if (NONDETERMINISTIC.has(name)) {
    throw new TemplateProblem(
      `function "${name}" is not available in Ferry: its result depends on the clock, randomness or the machine, and a release must render the same every time; put the value in the artifact's vars instead`,
    );
  }
  if (SPRIG_ELSEWHERE.has(name)) {
    throw new TemplateProblem(
      `function "${name}" is a Sprig function Ferry does not implement; see README "Templates"`,
    );
  }
  throw new TemplateProblem(`function "${name}" not defined`);
}

/** Every function a template can call (the README lists them). */
export function supportedFunctions(): string[] {
  return [...Object.keys(BUILTINS), ...Object.keys(SPRIG)].sort();
}
