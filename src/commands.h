/* The offline commands: `rtstage keys rotate` and `rtstage token inspect`. */
#ifndef RTSTAGE_COMMANDS_H
#define RTSTAGE_COMMANDS_H

/* Each takes the words after its name and returns the process exit status. */
int cmd_keys_rotate(int argc, char **argv);
int cmd_token_inspect(int argc, char **argv);

#endif
