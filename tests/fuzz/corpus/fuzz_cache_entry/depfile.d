a.o: a.c /usr/include/stdio.h \
 include/b\ c.h

include/b\ c.h:
