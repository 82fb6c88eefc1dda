/* SPDX-License-Identifier: Apache-2.0 */
/* The `assay` CLI's subcommands (src/app/assay_*.c). Each takes the arguments after its
 * subcommand name (argv[0] = subcommand) and returns the process exit code:
 * 0 accept / success, 1 reject / test failure, 2 usage or I/O error. */
#ifndef AY_APP_ASSAY_CLI_H
#define AY_APP_ASSAY_CLI_H

/* assay verify --tee TEE --evidence FILE [--endorsements PATH]... [--at RFC3339] ... */
int ay_cli_verify(int argc, char **argv);
/* assay token verify TOKEN --jwks FILE|URL */
int ay_cli_token(int argc, char **argv);
/* assay policy eval|test|check ... */
int ay_cli_policy(int argc, char **argv);

#endif
