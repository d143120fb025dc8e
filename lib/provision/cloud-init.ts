/** EC2 refuses user data over 16 KB; the bootstrap user data (bootstrap.ts) stays far below it whatever the site's size. */
export const USER_DATA_LIMIT_BYTES = 16_384;
