#include "ctl/user.h"

#include "common/alloc.h"
#include "common/buf.h"
#include "db/db.h"
#include "desk/auth.h"
#include "desk/users.h"
#include "parser/json.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define EXIT_FAIL  1
#define EXIT_USAGE 2

struct user_args {
    const char *sub, *login, *name, *role, *password_file;
    bool json;
};

static int user_usage(void)
{
    fprintf(stderr,
            "usage: komekctl user add LOGIN [--name NAME] [--role operator|supervisor|admin]\n"
            "                         [--password-file FILE]\n"
            "       komekctl user passwd LOGIN [--password-file FILE]\n"
            "       komekctl user disable LOGIN | enable LOGIN\n"
            "       komekctl user list [--json]\n"
            "The password is the first line of FILE, or of stdin without --password-file.\n");
    return EXIT_USAGE;
}

static int user_parse(int argc, char **argv, struct user_args *a)
{
    static const struct option longopts[] = {
        {"name", required_argument, NULL, 'n'},
        {"role", required_argument, NULL, 'r'},
        {"password-file", required_argument, NULL, 'p'},
        {"json", no_argument, NULL, 'j'},
        {NULL, 0, NULL, 0},
    };
    memset(a, 0, sizeof(*a));
    a->role = "operator";
    if (argc < 2) {
        return user_usage();
    }
    a->sub = argv[1];
    optind = 0; /* glibc: a fresh scan of the sub-command's arguments */
    int ch;
    while ((ch = getopt_long(argc - 1, argv + 1, "n:r:p:j", longopts, NULL)) != -1) {
        switch (ch) {
        case 'n':
            a->name = optarg;
            break;
        case 'r':
            a->role = optarg;
            break;
        case 'p':
            a->password_file = optarg;
            break;
        case 'j':
            a->json = true;
            break;
        default:
            return user_usage();
        }
    }
    int rest = argc - 1 - optind;
    bool list = strcmp(a->sub, "list") == 0;
    if ((list && rest != 0) || (!list && rest != 1)) {
        return user_usage();
    }
    a->login = list ? NULL : argv[1 + optind];
    return 0;
}

/* Reads the first line of f into *out (malloc'd, without the line end). */
static int user_read_line(FILE *f, char **out)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, f);
    if (n < 0) {
        free(line);
        *out = NULL;
        return -1;
    }
    line[strcspn(line, "\r\n")] = '\0';
    *out = line;
    return 0;
}

/* The password from --password-file or stdin (with a prompt and no echo on a terminal). */
static int user_password(const struct user_args *a, char **out)
{
    FILE *f = stdin;
    if (a->password_file != NULL && (f = fopen(a->password_file, "r")) == NULL) {
        fprintf(stderr, "komekctl: cannot open %s: %s\n", a->password_file, strerror(errno));
        return EXIT_USAGE;
    }
    struct termios old;
    bool tty = f == stdin && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
    if (tty) {
        struct termios quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
        fprintf(stderr, "password for %s: ", a->login);
    }
    int rc = user_read_line(f, out);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fputc('\n', stderr);
    }
    if (f != stdin) {
        fclose(f);
    }
    if (rc != 0) {
        fprintf(stderr, "komekctl: no password given (%s is empty)\n",
                a->password_file != NULL ? a->password_file : "stdin");
        return EXIT_USAGE;
    }
    return 0;
}

static void user_print_list(const char *json)
{
    yajl_val v = NULL;
    struct km_err err = {{0}};
    if (km_json_parse(json, strlen(json), &v, NULL, &err) != KM_OK || !YAJL_IS_ARRAY(v)) {
        km_json_free(v);
        return;
    }
    printf("%-20s %-11s %-9s %-21s %s\n", "LOGIN", "ROLE", "STATE", "LAST SEEN", "NAME");
    for (size_t i = 0; i < YAJL_GET_ARRAY(v)->len; i++) {
        yajl_val u = YAJL_GET_ARRAY(v)->values[i];
        bool disabled = false;
        km_json_bool(u, "disabled", &disabled);
        const char *seen = km_json_str(u, "last_seen");
        printf("%-20s %-11s %-9s %-21s %s\n", km_json_str(u, "login"), km_json_str(u, "role"),
               disabled ? "disabled" : "active", seen != NULL ? seen : "-", km_json_str(u, "name"));
    }
    km_json_free(v);
}

/* Runs the sub-command on db; returns the exit status. */
static int user_run(struct km_db *db, const struct user_args *a, const char *password,
                    struct km_err *err)
{
    int rc;
    const char *done = NULL;
    struct km_buf b = KM_BUF_INIT;
    if (strcmp(a->sub, "add") == 0) {
        rc = km_desk_user_add(db, a->login, a->name, a->role, password, err);
        done = "added";
    } else if (strcmp(a->sub, "passwd") == 0) {
        rc = km_desk_user_passwd(db, a->login, password, err);
        done = "password changed (signed out everywhere)";
    } else if (strcmp(a->sub, "disable") == 0 || strcmp(a->sub, "enable") == 0) {
        bool off = strcmp(a->sub, "disable") == 0;
        rc = km_desk_user_set_disabled(db, a->login, off, err);
        done = off ? "disabled (signed out everywhere)" : "enabled";
    } else {
        rc = km_desk_user_list_json(db, &b, err);
        if (rc == KM_OK && a->json) {
            printf("%s\n", b.data);
        } else if (rc == KM_OK) {
            user_print_list(b.data);
        }
    }
    if (rc == KM_OK && done != NULL) {
        printf("%s: %s\n", a->login, done);
    }
    km_buf_free(&b);
    return rc;
}

int km_ctl_user(const struct km_config *cfg, int argc, char **argv)
{
    struct user_args a;
    char *password = NULL;
    struct km_db *db = NULL;
    struct km_err err = {{0}};
    int status = user_parse(argc, argv, &a);
    if (status != 0) {
        return status;
    }
    bool needs_pw = strcmp(a.sub, "add") == 0 || strcmp(a.sub, "passwd") == 0;
    if (!needs_pw && strcmp(a.sub, "disable") != 0 && strcmp(a.sub, "enable") != 0 &&
        strcmp(a.sub, "list") != 0) {
        return user_usage();
    }
    if ((a.login != NULL && km_desk_user_check_login(a.login, &err) != KM_OK) ||
        (strcmp(a.sub, "add") == 0 && km_desk_user_check_role(a.role, &err) != KM_OK)) {
        fprintf(stderr, "komekctl: %s\n", err.msg);
        return EXIT_USAGE;
    }
    if (needs_pw && (status = user_password(&a, &password)) != 0) {
        goto out;
    }
    if (needs_pw && km_desk_user_check_password(password, &err) != KM_OK) {
        fprintf(stderr, "komekctl: %s\n", err.msg);
        status = EXIT_USAGE;
        goto out;
    }
    int rc = km_db_connect(km_section_get(cfg->global, "postgres"), &db, &err);
    if (rc == KM_OK) {
        rc = user_run(db, &a, password, &err);
    }
    if (rc != KM_OK) {
        fprintf(stderr, "komekctl: %s\n", err.msg);
        status = EXIT_FAIL;
    }
out:
    if (password != NULL) {
        memset(password, 0, strlen(password));
        free(password);
    }
    km_db_free(db);
    return status;
}
