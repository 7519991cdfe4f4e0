#define _DEFAULT_SOURCE /* dirfd */
/* Prints the descriptors this process holds, one per line: what survived
 * the exec that started it. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>

int main(void) {
  DIR* dir = opendir("/proc/self/fd");
  if (!dir) return 1;
  struct dirent* e;
  while ((e = readdir(dir)) != NULL) {
    if (e->d_name[0] == '.') continue;
    int fd = atoi(e->d_name);
    if (fd != dirfd(dir)) printf("%d\n", fd);
  }
  closedir(dir);
  return 0;
}
