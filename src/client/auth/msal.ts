// msal-node is the heaviest dependency: load it on the first token request, not when Node-RED
// loads the palette (cold start is measured by the benchmarks).
import type * as Msal from '@azure/msal-node';

let loaded: typeof Msal | undefined;

export function msal(): typeof Msal {
  loaded ??= require('@azure/msal-node') as typeof Msal;
  return loaded;
}

/** `instanceof AuthError`, loading msal only for errors that look like its own (they carry errorCode). */
export function isMsalAuthError(e: unknown): e is Msal.AuthError {
  if (!(e instanceof Error) || !('errorCode' in e)) return false;
  return e instanceof msal().AuthError;
}
