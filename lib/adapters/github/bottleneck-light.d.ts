// The build of bottleneck without Redis clustering, which @octokit/plugin-throttling itself loads; its
// API and types are the package's.
declare module 'bottleneck/light.js' {
  import Bottleneck from 'bottleneck';
  export default Bottleneck;
}
