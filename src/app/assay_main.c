/* SPDX-License-Identifier: Apache-2.0 */
/* The `assay` command line: offline verification, token verification, policy tools. */
#include <stdio.h>
#include <string.h>

#include "app/assay_cli.h"
#include "base/base_log.h"

static void usage(FILE *f)
{
    fputs("usage: assay <command> [options]\n"
          "\n"
          "commands:\n"
          "  verify --tee TEE --evidence FILE [--endorsements PATH]... [--at RFC3339]\n"
          "         [--runtime-data-hex HEX | --runtime-data-json FILE] [--init-data-hex HEX]\n"
          "         [--policy FILE.rego]\n"
          "      verify evidence offline; prints {verdict, error, claims, policy}\n"
          "  token verify TOKEN --jwks FILE|URL\n"
          "      verify an attestation token (JWT text, a file, or - for stdin)\n"
          "  policy eval|test|check ...\n"
          "      Rego policy tools (assay policy --help)\n"
          "\n"
          "  --version   print the version\n"
          "  --help      print this help\n"
          "\n"
          "exit status: 0 accept / success, 1 reject / failure, 2 usage or I/O error\n",
          f);
}

int main(int argc, char **argv)
{
    ay_log_init();
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        printf("assay %s\n", AY_VERSION);
        return 0;
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "verify") == 0) {
        return ay_cli_verify(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "token") == 0) {
        return ay_cli_token(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "policy") == 0) {
        return ay_cli_policy(argc - 1, argv + 1);
    }
    fprintf(stderr, "assay: unknown command '%s' (try assay --help)\n", cmd);
    return 2;
}
