/** The API group and version of every WinHA kind. */
export const GROUP = 'winha.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
