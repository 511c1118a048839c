// Loader hooks (run on the loader thread): report each loaded URL to the main thread.
let port;
export async function initialize(data) {
  port = data.port;
}
export async function load(url, context, nextLoad) {
  port?.postMessage(url);
  return nextLoad(url, context);
}
