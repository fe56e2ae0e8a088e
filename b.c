#include <stdio.h>
#include <string.h>
int main(){FILE*f=fopen("/proc/self/status","r");char l[256];while(fgets(l,sizeof l,f))if(!strncmp(l,"VmRSS",5))printf("%s",l);return 0;}
