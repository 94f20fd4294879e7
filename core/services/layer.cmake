# What the core offers modules besides requests: mail, SMS, video rooms,
# blobs, live topics.
concerto_layer(services
  SOURCES blob_service.c live_service.c mail.c mail_service.c services_config.c sms.c sms_service.c video.c video_jitsi.c video_service.c video_settings.c
  LIBS PkgConfig::CURL PkgConfig::JWT)
