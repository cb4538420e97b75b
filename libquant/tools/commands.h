/* commands.h — every lq subcommand's entry point (one file each). */
#ifndef LQ_TOOLS_COMMANDS_H
#define LQ_TOOLS_COMMANDS_H

int lq_cmd_version(int argc, char **argv);
int lq_cmd_bench(int argc, char **argv);
int lq_cmd_estimate(int argc, char **argv);
int lq_cmd_demo(int argc, char **argv);
int lq_cmd_quantize(int argc, char **argv);
/* lq quantize ... --format F: a Hugging Face checkpoint folder (cmd_quantize_hf.c) */
int lq_cmd_quantize_hf(int argc, char **argv);
int lq_cmd_inspect(int argc, char **argv);
int lq_cmd_compare(int argc, char **argv);
int lq_cmd_convert(int argc, char **argv);
int lq_cmd_eval(int argc, char **argv);
int lq_cmd_split(int argc, char **argv);
int lq_cmd_merge(int argc, char **argv);
int lq_cmd_imatrix(int argc, char **argv);

#endif
