#include "services_config.h"

#include "sms.h"
#include "video.h"

bool services_config_check(const concerto_config *cfg, char *err,
                           size_t errlen) {
  return sms_config_valid(cfg->sms_url, cfg->sms_token, cfg->sms_sender,
                          cfg->sms_format, err, errlen) &&
         video_config_valid(cfg->video_provider, cfg->video_base_url,
                            cfg->video_app_id, cfg->video_app_secret, err,
                            errlen);
}
