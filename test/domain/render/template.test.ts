import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../lib/domain/errors.ts';
import { supportedFunctions } from '../../../lib/domain/render/functions.ts';
import { sanitizeDnsName } from '../../../lib/domain/render/index.ts';
import {
  MAX_RENDERED_CHARS,
  MAX_TEMPLATE_DEPTH,
  MAX_TEMPLATE_STEPS,
  renderBudget,
  renderTemplate,
} from '../../../lib/domain/render/template.ts';
import { renderErrorOf } from './render-error.ts';

const vars = {
  SHA: 'ea8ab1a1c2d3',
  BRANCH: 'feature/My_Feature',
  TAG: 'v1.2.3',
  PR_NUMBER: '42',
  EMPTY: '',
  LIST: 'a,b,c',
  CITY: 'İstanbul',
  name: 'lower-case item var',
};

const render = (text: string) => renderTemplate(text, vars, 'field');

const errorOf = (text: string) =>
  renderErrorOf(() => renderTemplate(text, vars, 'environments[staging/web].values.image'));

describe('sanitizeDnsName', () => {
  // gimlet-io/gimlet pkg/dx/manifest_test.go Test_sanitizeDNSName (gimlet-v1.0.0-beta.18)
  it.each([
    ['CamelCase_with_snake', 'camelcase-with-snake'],
    ['dependabot/npm_and_yarn/ws-5.2.3', 'dependabot-npm-and-yarn-ws-5-2-3'],
    ["-can't start with dashes, nor end-", 'can-t-start-with-dashes-nor-end'],
    ['!nope', 'nope'],
    ['dope', 'dope'],
    ['feature/my-feature', 'feature-my-feature'],
  ])('turns %s into %s as Gimlet does', (input, expected) => {
    expect(sanitizeDnsName(input)).toBe(expected);
  });

  // Go's strings.ToLower maps U+0130 with unicode.ToLower to U+0069 (golang/go src/unicode/tables.go
  // CaseRanges `{0x0130, 0x0130, d{0, -199, 0}}`); JavaScript's toLowerCase gives "i̇" (i + U+0307),
  // which would sanitize to "i-stanbul".
  it.each([
    ['İstanbul', 'istanbul'],
    ['ΑΣ-Ölçü-9', 'l-9'],
    ['Straße/İ', 'stra-e-i'],
  ])('lower-cases %s with Go’s per-rune mapping', (input, expected) => {
    expect(sanitizeDnsName(input)).toBe(expected);
  });

  it('cuts at 53 bytes, then trims one dash at either end', () => {
    expect(sanitizeDnsName(`${'a'.repeat(52)}/bbbb`)).toBe('a'.repeat(52));
    expect(sanitizeDnsName(`/${'a'.repeat(60)}`)).toBe('a'.repeat(52));
  });
});

/**
 * Parity table: template, expected output exactly as Go's text/template + Sprig v3.3.0 print it with
 * Gimlet's options. Sources: [doc] pkg.go.dev/text/template package documentation examples; [exec]
 * golang/go src/text/template/exec_test.go execTests; [fmt] pkg.go.dev/fmt documentation; [sprig]
 * masterminds.github.io/sprig function docs and Sprig's own *_test.go; [src] worked out from the Go
 * source named in the implementation's comment.
 */
const PARITY: [source: string, template: string, expected: string][] = [
  // Pipelines and literals
  ['doc', '{{"\\"output\\""}}', '"output"'],
  ['doc', '{{`"output"`}}', '"output"'],
  ['doc', '{{printf "%q" "output"}}', '"output"'],
  ['doc', '{{"output" | printf "%q"}}', '"output"'],
  ['doc', '{{printf "%q" (print "out" "put")}}', '"output"'],
  ['doc', '{{"put" | printf "%s%s" "out" | printf "%q"}}', '"output"'],
  ['doc', '{{"output" | printf "%s" | printf "%q"}}', '"output"'],
  ['doc', '{{with "output"}}{{printf "%q" .}}{{end}}', '"output"'],
  ['doc', '{{with $x := "output" | printf "%q"}}{{$x}}{{end}}', '"output"'],
  ['doc', '{{with $x := "output"}}{{printf "%q" $x}}{{end}}', '"output"'],
  ['doc', '{{with $x := "output"}}{{$x | printf "%q"}}{{end}}', '"output"'],
  ['doc', '{{23 -}} < {{- 45}}', '23<45'],
  ['exec', '{{/* a comment */}}', ''],
  ['exec', '{{- /* trimmed comment */ -}}  x', 'x'],
  ['exec', '{{.SHA}}', 'ea8ab1a1c2d3'],
  ['exec', '{{ 010 }} {{ 0x1F }} {{ 1_000 }} {{ -7 }}', '8 31 1000 -7'],
  ['exec', "{{ 'a' }} {{ '\\n' }}", '97 10'],
  ['exec', '{{ 1.5 }} {{ 1.0 }} {{ 1e6 }} {{ 123456.0 }} {{ 1e-5 }}', '1.5 1 1e+06 123456 1e-05'],
  ['exec', '{{ true }} {{ "a\\tb\\u00e9" }}', 'true a\tbé'],
  [
    'exec',
    '{{ $ }}',
    'map[BRANCH:feature/My_Feature CITY:İstanbul EMPTY: LIST:a,b,c PR_NUMBER:42 SHA:ea8ab1a1c2d3 TAG:v1.2.3 name:lower-case item var]',
  ],
  // if / else if / else, Go's truth
  ['exec', '{{if true}}TRUE{{end}}', 'TRUE'],
  ['exec', '{{if false}}TRUE{{else}}FALSE{{end}}', 'FALSE'],
  ['exec', '{{if 1}}NON-ZERO{{else}}ZERO{{end}}', 'NON-ZERO'],
  ['exec', '{{if 0}}NON-ZERO{{else}}ZERO{{end}}', 'ZERO'],
  ['exec', '{{if 1.5}}NON-ZERO{{else}}ZERO{{end}}', 'NON-ZERO'],
  ['exec', '{{if 0.0}}NON-ZERO{{else}}ZERO{{end}}', 'ZERO'],
  ['exec', '{{if ""}}NON-EMPTY{{else}}EMPTY{{end}}', 'EMPTY'],
  ['exec', '{{if .EMPTY}}NON-EMPTY{{else}}EMPTY{{end}}', 'EMPTY'],
  ['exec', '{{if list}}NON-EMPTY{{else}}EMPTY{{end}}', 'EMPTY'],
  ['exec', '{{if eq .TAG "v1"}}1{{else if eq .TAG "v1.2.3"}}2{{else}}3{{end}}', '2'],
  ['exec', '{{if $x := .PR_NUMBER}}{{$x}}{{end}}', '42'],
  ['exec', '{{with .EMPTY}}{{.}}{{else}}EMPTY{{end}}', 'EMPTY'],
  ['exec', '{{with .EMPTY}}x{{else with .TAG}}{{.}}{{end}}', 'v1.2.3'],
  // range
  ['exec', '{{range splitList "," .LIST}}-{{.}}-{{end}}', '-a--b--c-'],
  ['exec', '{{range $x := splitList "," .LIST}}<{{$x}}>{{end}}', '<a><b><c>'],
  ['exec', '{{range $i, $x := splitList "," .LIST}}<{{$i}}={{$x}}>{{end}}', '<0=a><1=b><2=c>'],
  ['exec', '{{range list}}-{{.}}-{{else}}EMPTY{{end}}', 'EMPTY'],
  ['exec', '{{range $k, $v := split "," .LIST}}{{$k}}={{$v}};{{end}}', '_0=a;_1=b;_2=c;'],
  ['exec', '{{range 3}}{{.}}{{end}}', '012'],
  ['exec', '{{range $i := 3}}{{$i}}{{end}}', '012'],
  ['exec', '{{range $i, $v := list 1 2 3 4}}{{if eq $i 2}}{{break}}{{end}}{{$v}}{{end}}', '12'],
  ['exec', '{{range $i, $v := list 1 2 3 4}}{{if eq $i 2}}{{continue}}{{end}}{{$v}}{{end}}', '124'],
  ['exec', '{{range $k, $v := $}}{{if hasPrefix "P" $k}}{{$k}}={{$v}}{{end}}{{end}}', 'PR_NUMBER=42'],
  // variables
  ['exec', '{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}', '2'],
  ['exec', '{{$x := "outer"}}{{range list 1}}{{$x := "inner"}}{{end}}{{$x}}', 'outer'],
  ['exec', '{{$.SHA | trunc 4}}', 'ea8a'],
  // comparison and logic
  ['exec', '{{eq 1 1}} {{eq 1 2}} {{eq "a" "b" "a"}} {{ne 1 2}}', 'true false true true'],
  ['exec', '{{lt 1 2}} {{le 2 2}} {{gt 1.5 2.5}} {{ge "b" "a"}}', 'true true false true'],
  ['exec', '{{and 1 0}} {{and 1 "x"}} {{or 0 ""}} {{or 0 "x"}} {{not 0}}', '0 x  x true'],
  ['exec', '{{and false (index (list) 5)}}', 'false'],
  ['exec', '{{len "hello"}} {{len .CITY}} {{len (list 1 2)}}', '5 9 2'],
  ['exec', '{{index (splitList "," .LIST) 1}} {{index $ "TAG"}} {{index $ "NOPE"}}|', 'b v1.2.3 |'],
  ['exec', '{{index "abc" 1}}', '98'],
  ['exec', '{{print 1 2 3}} {{print "a" "b"}} {{print "a" 1 2 "b"}}', '1 2 3 ab a1 2b'],
  ['exec', '{{println 1 "a"}}', '1 a\n'],
  ['exec', '{{html "<a href=\'x\'>&"}}', '&lt;a href=&#39;x&#39;&gt;&amp;'],
  ['exec', '{{js "it\'s <b>"}}', "it\\'s \\x3Cb\\x3E"],
  ['exec', '{{urlquery "http://www.example.org/a b"}}', 'http%3A%2F%2Fwww.example.org%2Fa+b'],
  // printf ([fmt])
  ['fmt', '{{printf "%s-%d-%v-%q" .TAG 42 1.5 "é\\n"}}', 'v1.2.3-42-1.5-"é\\n"'],
  ['fmt', '{{printf "%05d|%-4s|%4s|%x|%X|%t" 42 "ab" "ab" "hi" 255 true}}', '00042|ab  |  ab|6869|FF|true'],
  ['fmt', '{{printf "%.2f %e %g" 3.14159 1234.5678 0.000012}}', '3.14 1.234568e+03 1.2e-05'],
  ['fmt', '{{printf "%d" "x"}}', '%!d(string=x)'],
  ['fmt', '{{printf "%s %s" "x"}}', 'x %!s(MISSING)'],
  ['fmt', '{{printf "%s" "x" 1}}', 'x%!(EXTRA int=1)'],
  ['fmt', '{{printf "%v %v" (list 1 "a") (split "/" "x/y")}}', '[1 a] map[_0:x _1:y]'],
  ['fmt', '{{printf "%d%%" 50}}', '50%'],
  // Sprig strings ([sprig])
  ['sprig', '{{ trim "   hello    " }}', 'hello'],
  ['sprig', '{{ trimAll "$" "$5.00$" }}', '5.00'],
  ['sprig', '{{ trimSuffix "-" "hello-" }} {{ trimPrefix "-" "-hello" }}', 'hello hello'],
  ['sprig', '{{ upper "hello" }} {{ lower "HELLO" }} {{ title "hello world" }}', 'HELLO hello Hello World'],
  ['sprig', '{{ repeat 3 "hello" }}', 'hellohellohello'],
  ['sprig', '{{ substr 0 5 "hello world" }}', 'hello'],
  [
    'src',
    '{{ substr -1 5 "hello world" }} {{ substr 6 -1 "hello world" }} {{ substr 6 99 "hello world" }}',
    'hello world world',
  ],
  ['sprig', '{{ nospace "hello w o r l d" }}', 'helloworld'],
  ['sprig', '{{ trunc 5 "hello world" }} {{ trunc -5 "hello world" }}', 'hello world'],
  ['src', '{{ trunc 50 "abc" }} {{ trunc -50 "abc" }} {{ trunc 0 "abc" }}|', 'abc abc |'],
  ['sprig', '{{ abbrev 5 "hello world" }} {{ abbrev 3 "hello world" }}', 'he... hello world'],
  [
    'sprig',
    '{{ contains "cat" "catch" }} {{ hasPrefix "cat" "catch" }} {{ hasSuffix "cat" "catch" }}',
    'true true false',
  ],
  [
    'sprig',
    '{{ quote "hello" }} {{ squote "hello" }} {{ quote "a\\"b" 1 }}',
    '"hello" \'hello\' "a\\"b" "1"',
  ],
  ['sprig', '{{ cat "hello" "beautiful" "world" }}', 'hello beautiful world'],
  ['sprig', '{{ indent 2 "a\\nb" }}|{{ nindent 2 "a" }}', '  a\n  b|\n  a'],
  ['sprig', '{{ replace " " "-" "I Am Henry VIII" }}', 'I-Am-Henry-VIII'],
  ['src', '{{ replace "" "-" "ab" }}', '-a-b-'],
  ['sprig', '{{ splitList "$" "foo$bar$baz" }}', '[foo bar baz]'],
  ['sprig', '{{ $a := split "$" "foo$bar$baz" }}{{ $a._0 }}{{ $a._2 }}', 'foobaz'],
  ['sprig', '{{ list "hello" "world" | join "_" }} {{ join "," (list 1 nil "a") }}', 'hello_world 1,a'],
  ['sprig', '{{ first (list 1 2 3) }} {{ last (list 1 2 3) }} {{ first list }}', '1 3 <no value>'],
  ['sprig', '{{ toString 42 }} {{ toString (list 1) }} {{ toString nil }}', '42 [1] <nil>'],
  // Sprig defaults
  ['sprig', '{{ .EMPTY | default "foo" }} {{ default "foo" "bar" }} {{ default "foo" 0 }}', 'foo bar foo'],
  ['sprig', '{{ empty .EMPTY }} {{ empty 0 }} {{ empty "x" }} {{ empty list }}', 'true true false true'],
  ['sprig', '{{ coalesce 0 1 2 }} {{ coalesce .EMPTY "" "z" }} {{ coalesce "" }}', '1 z <no value>'],
  ['sprig', '{{ ternary "foo" "bar" true }} {{ false | ternary "foo" "bar" }}', 'foo bar'],
  ['sprig', '{{ toJson (list 1 "<a&b>" (split "," "x")) }}', '[1,"\\u003ca\\u0026b\\u003e",{"_0":"x"}]'],
  // Sprig numbers (cast.ToInt64: strings parse with base prefixes, failures are 0)
  [
    'sprig',
    '{{ add 1 2 3 }} {{ add1 5 }} {{ sub 5 7 }} {{ mul 2 3 4 }} {{ div 7 2 }} {{ mod 7 3 }}',
    '6 6 -2 24 3 1',
  ],
  ['sprig', '{{ div -7 2 }} {{ mod -7 3 }}', '-3 -1'],
  ['sprig', '{{ max 1 2 3 }} {{ min 3 1 2 }} {{ max 1 "5" }} {{ add "0x10" "1.00" "x" }}', '3 1 5 17'],
  [
    'sprig',
    '{{ int "12" }} {{ int "010" }} {{ int 2.9 }} {{ int64 true }} {{ atoi "32" }} {{ atoi "0x10" }}',
    '12 8 2 1 32 0',
  ],
  ['src', '{{ add 9223372036854775807 1 }}', '-9223372036854775808'],
  // Sprig encodings and hashes
  [
    'sprig',
    '{{ sha256sum "Hello world!" }}',
    'c0535e4be2b79ffd93291305436bf889314e4a3faec05ecffcbb7df31ad9e51a',
  ],
  ['sprig', '{{ sha1sum "Hello world!" }}', 'd3486ae9136e7856bc42212385ea797094475802'],
  ['sprig', '{{ b64enc "hello" }} {{ b64dec "aGVsbG8=" }}', 'aGVsbG8= hello'],
  ['src', '{{ b64dec "not base64!" }}', 'illegal base64 data at input byte 3'],
  // Sprig regex functions over Go's RE2 ([re] pkg.go.dev/regexp examples: ReplaceAllString, FindAllString)
  ['re', '{{ regexReplaceAll "a(x*)b" "-ab-axxb-" "T" }}', '-T-T-'],
  ['re', '{{ regexReplaceAll "a(x*)b" "-ab-axxb-" "$1" }}', '--xx-'],
  ['re', '{{ regexReplaceAll "a(x*)b" "-ab-axxb-" "$1W" }}', '---'],
  ['re', `{{ regexReplaceAll "a(x*)b" "-ab-axxb-" "\${1}W" }}`, '-W-xxW-'],
  ['re', `{{ regexReplaceAllLiteral "a(x*)b" "-ab-axxb-" "\${1}" }}`, `-\${1}-\${1}-`],
  ['re', '{{ regexReplaceAll "a*" "baaac" "X" }} {{ regexReplaceAll "" "abc" "-" }}', 'XbXcX -a-b-c-'],
  [
    're',
    '{{ regexFindAll "a." "paranormal" -1 }} {{ regexFindAll "a." "paranormal" 2 }}',
    '[ar an al] [ar an]',
  ],
  ['re', '{{ regexReplaceAll "(a|ab)(c|bcd)(d*)" "abcd" "[$1|$2|$3]" }}', '[a|bcd|]'],
  ['re', '{{ regexReplaceAll `(?P<major>[0-9]+)\\.(?P<minor>[0-9]+)` .TAG "$minor.$major" }}', 'v2.1.3'],
  ['sprig', '{{ regexMatch `^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\\.[a-zA-Z]{2,}$` "test@acme.com" }}', 'true'],
  ['sprig', '{{ regexFind "[a-zA-Z][1-9]" "abcd1234" }} {{ regexMatch "[" "x" }}', 'd1 false'],
  [
    're',
    '{{ regexMatch "(?i)^FEATURE/" .BRANCH }} {{ regexMatch `\\bMy_` .BRANCH }} {{ regexMatch `y\\b` .BRANCH }} {{ regexMatch "[[:digit:]]" .SHA }}',
    'true true false true',
  ],
  ['re', '{{ regexReplaceAll "." "😀İ" "-" }}', '--'],
  // Unicode: Go strings are bytes, and Go case-maps rune by rune with simple mappings
  ['src', '{{ lower .CITY }} {{ upper "straße" }} {{ lower "ΟΔΟΣ" }}', 'istanbul STRAßE οδοσ'],
  ['src', '{{ title "ǆemal élan" }} {{ upper "ᾳ" }}', 'ǅemal Élan ᾼ'],
  ['src', '{{ .CITY | sanitizeDNSName }} {{ trunc 3 .CITY }} {{ substr 2 5 .CITY }}', 'istanbul İs sta'],
  ['src', '{{ nospace "é x" }} {{ nospace "é" }}', 'Ã©x é'],
  ['src', '{{ quote "tab\\t\\u00ad" }}', '"tab\\t\\u00ad"'],
  // Gimlet's own uses
  ['gimlet', 'preview-{{ .BRANCH | sanitizeDNSName }}', 'preview-feature-my-feature'],
  ['gimlet', '{{ trunc 12 (printf "x-%s" .BRANCH) | sanitizeDNSName }}', 'x-feature-my'],
  ['gimlet', '\\{{ .SHA }} {{ "{{ raw }}" }}', '\\ea8ab1a1c2d3 {{ raw }}'],
];

describe('Go text/template + Sprig parity', () => {
  it.each(PARITY)('[%s] %s', (_source, template, expected) => {
    expect(render(template)).toBe(expected);
  });
});

/** Errors Go reports for the same templates (the message wording is Ferry's where Go's names internals). */
const ERRORS: [template: string, message: string][] = [
  // Gimlet's missingkey=error: pkg/dx/manifest_test.go Test_resolveVars_missingVar
  ['{{ .SHA }}-{{ .IMAGE }}', 'template variable "IMAGE" is not set'],
  ['{{ .constructor }}', 'template variable "constructor" is not set'],
  ['{{ $m := split "," "a" }}{{ $m.nope }}', 'map has no entry for key "nope"'],
  ['{{ .SHA.Short }}', "can't evaluate field Short in type string"],
  ['{{ toYaml . }}', 'function "toYaml" not defined'],
  ['{{ helperMissing .SHA }}', 'function "helperMissing" not defined'],
  ['{{ now }}', 'function "now" is not available in Ferry'],
  ['{{ env "HOME" }}', 'function "env" is not available in Ferry'],
  ['{{ randAlphaNum 5 }}', 'function "randAlphaNum" is not available in Ferry'],
  ['{{ dict "a" 1 }}', 'function "dict" is a Sprig function Ferry does not implement'],
  ['{{ $x }}', 'undefined variable "$x"'],
  ['{{ if .SHA }}x', '{{if}} has no {{end}}'],
  ['{{ end }}', 'unexpected {{end}}'],
  ['{{ break }}', '{{break}} outside {{range}}'],
  ['{{ define "x" }}{{ end }}', '"define" is not supported'],
  ['{{ .SHA', 'unclosed action'],
  ['{{ "abc }}', 'unterminated quoted string'],
  ['{{ 3x }}', 'bad number syntax'],
  ['{{ nil }}', 'nil is not a command'],
  ['{{ if nil }}x{{ end }}', 'nil is not a command'],
  ['{{ .SHA | "x" }}', 'non executable command in pipeline stage 2'],
  ['{{ trunc "7" .SHA }}', 'expected integer; found "7"'],
  ['{{ trunc 1.5 .SHA }}', 'expected integer; found 1.5'],
  ['{{ upper 42 }}', 'expected string; found 42'],
  ['{{ add 1 2 | trunc 3 }}', 'wrong type for value; expected string; got int64'],
  ['{{ trunc (add 1 2) .SHA }}', 'wrong type for value; expected int; got int64'],
  ['{{ lower }}', 'wrong number of args for lower: want 1 got 0'],
  ['{{ .SHA .TAG }}', "can't give argument to non-function .SHA"],
  ['{{ eq 1 "1" }}', 'error calling eq: incompatible types for comparison'],
  ['{{ lt true false }}', 'error calling lt: invalid type for comparison'],
  ['{{ index (list 1) 5 }}', 'error calling index: index out of range: 5'],
  ['{{ div 1 0 }}', 'error calling div: runtime error: integer divide by zero'],
  ['{{ substr 2 1 "abc" }}', 'slice bounds out of range [2:1] with length 3'],
  ['{{ substr -1 9 "abc" }}', 'slice bounds out of range [0:9] with length 3'],
  ['{{ trunc 1 "İ" }}', 'splits a multi-byte character'],
  ['{{ first "abc" }}', 'Cannot find first on type string'],
  ['{{ range .SHA }}{{ end }}', 'range can\'t iterate over "ea8ab1a1c2d3"'],
  ['{{ range $i, $v := 3 }}{{ end }}', "can't use 3 to iterate over more than one variable"],
  ['{{ len 3 }}', 'len of type int'],
  ['{{ fail "no image tag" }}', 'error calling fail: no image tag'],
  ['{{ 99999999999999999999 }}', 'integer overflow'],
  ['{{ mustRegexMatch "[" "x" }}', 'error parsing regexp: missing closing ]'],
  ['{{ regexReplaceAll "a**" "x" "y" }}', 'invalid nested repetition operator'],
  ['{{ regexMatch `\\pL` "x" }}', 'uses \\p, which Ferry does not support'],
  ['{{ regexMatch `\\j` "x" }}|{{ mustRegexMatch `\\j` "x" }}', 'invalid escape sequence: `\\j`'],
  ['{{ "\\." }}', 'invalid syntax in string'],
];

describe('template errors', () => {
  it.each(ERRORS)('refuses %s', (template, message) => {
    const error = errorOf(template);
    expect(error.message).toContain(message);
    expect(error.message.startsWith('environments[staging/web].values.image: ')).toBe(true);
  });

  it('is a 400-class error that a worker must not retry', () => {
    const error = errorOf('{{ .IMAGE }}');
    expect(error.message).toBe(
      'environments[staging/web].values.image: template variable "IMAGE" is not set',
    );
    expect(error.retryable).toBe(false);
    expect(error).toBeInstanceOf(ValidationError);
  });

  it('leaves strings without an action untouched', () => {
    expect(render('plain } { text \\ "quoted"')).toBe('plain } { text \\ "quoted"');
  });
});

describe('template limits', () => {
  it(`refuses nesting deeper than ${MAX_TEMPLATE_DEPTH} without touching the stack`, () => {
    const parens = `{{ ${'('.repeat(MAX_TEMPLATE_DEPTH + 1)}1${')'.repeat(MAX_TEMPLATE_DEPTH + 1)} }}`;
    expect(errorOf(parens).message).toContain(`nests deeper than ${MAX_TEMPLATE_DEPTH} levels`);
    const ifs = `${'{{ if true }}'.repeat(100_000)}x${'{{ end }}'.repeat(100_000)}`;
    expect(errorOf(ifs).message).toContain('nests deeper than');
    const within = `{{ ${'('.repeat(MAX_TEMPLATE_DEPTH - 1)}1${')'.repeat(MAX_TEMPLATE_DEPTH - 1)} }}`;
    expect(render(within)).toBe('1');
  });

  it('refuses amplification before building the string', () => {
    expect(errorOf('{{ repeat 100000 (repeat 100000 "x") }}').message).toContain(
      `renders more than ${MAX_RENDERED_CHARS} characters`,
    );
    const doubling = `{{ $s := "${'x'.repeat(1024)}" }}${'{{ $s = replace "x" "xx" $s }}'.repeat(40)}{{ $s }}`;
    expect(errorOf(doubling).message).toContain('renders more than');
    expect(errorOf(`{{ range 10000 }}${'y'.repeat(1000)}{{ end }}`).message).toContain('renders more than');
  });

  it('matches regular expressions in linear time, and bounds a search that restarts after each match', () => {
    const input = `{{ $s := repeat 100000 "a" }}{{ regexMatch "(a+)+$" (print $s "b") }}`;
    expect(render(input)).toBe('false');
    expect(errorOf('{{ regexReplaceAll "x*y|x" (repeat 100000 "x") "-" }}').message).toContain(
      'regular expression too costly',
    );
  });

  it('checks lists and maps before printing them, and quotes no more than 60 characters of input', () => {
    const big = `{{ $b := repeat 3000000 "x" }}`;
    expect(errorOf(`${big}{{ list $b $b $b $b }}`).message).toContain('renders more than');
    expect(errorOf(`${big}{{ join "," (list (list $b $b)) }}`).message).toContain('renders more than');
    expect(errorOf(`${big}{{ printf "%v" (list $b $b) }}`).message).toContain('renders more than');
    const message = errorOf(`{{ range "${'y'.repeat(5000)}" }}{{ end }}`).message;
    expect(message).toContain(`"${'y'.repeat(57)}..."`);
    expect(message.length).toBeLessThan(200);
  });

  it('refuses a template that takes too many steps', () => {
    expect(errorOf('{{ range 1000000000 }}{{ end }}').message).toContain(
      `more than ${MAX_TEMPLATE_STEPS} steps`,
    );
    expect(errorOf('{{ range 1000 }}{{ range 1000 }}{{ end }}{{ end }}').message).toContain('steps');
  });

  it('shares one budget across the fields rendered with it', () => {
    const budget = renderBudget();
    const big = `{{ repeat ${MAX_RENDERED_CHARS / 2} "x" }}`;
    renderTemplate(big, vars, 'a', budget);
    expect(() => renderTemplate(`${big}y`, vars, 'b', budget)).toThrow(/b: template renders more than/);
  });
});

describe('README "Templates"', () => {
  it('lists every function a template can call', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('### Templates'), readme.indexOf('### Choices for releases'));
    const listed = new Set(section.match(/[A-Za-z0-9]+/g));
    expect(supportedFunctions().filter((name) => !listed.has(name))).toEqual([]);
  });
});
