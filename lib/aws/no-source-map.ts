/**
 * Stands in for the `source-map` package in the Lambda bundles (an esbuild alias set by
 * cdk/ferry-function.ts). Handlebars' code generator does `require('source-map').SourceNode` only to emit
 * source maps of compiled templates, which Ferry never asks for; finding no `SourceNode` here, it uses its
 * own minimal one (handlebars/lib/handlebars/compiler/code-gen.js), as it does in browsers.
 */
export {};
